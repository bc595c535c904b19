import Foundation
import LockstepCrypto
@testable import Store
import Testing

/// A store clock the tests move by hand.
final class StepClock: StoreClock, @unchecked Sendable {
    // Unchecked: `millis` is only touched under `lock`.
    private let lock = NSLock()
    private var millis: Int64
    init(_ millis: Int64 = 1_700_000_000_000) { self.millis = millis }
    func nowMillis() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return millis
    }
    func advance(_ ms: Int64) {
        lock.lock(); defer { lock.unlock() }
        millis += ms
    }
}

/// A store in a fresh temp directory, removed when the fixture goes away.
final class StoreFixture: @unchecked Sendable {
    // Unchecked: a test reopens the store only between its own requests.
    let directory: String
    let clock: StepClock
    private(set) var store: ObjectStore

    init() throws {
        directory = NSTemporaryDirectory() + "lockstep-storetests-" + UUID().uuidString
        clock = StepClock()
        store = try ObjectStore(dataDirectory: directory, clock: clock)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A fixture with a bucket "b", versioned as asked.
    static func withBucket(versioning: VersioningState = .unversioned) async throws -> StoreFixture {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        if versioning != .unversioned { try await f.store.setVersioning(bucket: "b", versioning) }
        return f
    }

    /// Drops the store and opens the directory again, as after a restart.
    func reopen() throws {
        store = try ObjectStore(dataDirectory: directory, clock: clock)
    }

    /// Every blob file on disk.
    func blobFiles() -> [String] {
        let root = directory + "/blobs"
        var out: [String] = []
        for sub in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + sub)) ?? [] { out.append(name) }
        }
        return out.sorted()
    }

    func tmpFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? [] }

    /// Writes `bytes` to a durable blob and returns a body for it.
    func blobBody(_ bytes: [UInt8]) async throws -> StoredBody {
        let writer = try store.blobs.makeWriter()
        try bytes.withUnsafeBytes { try writer.write($0) }
        try await writer.finish()
        return .segments([BodySegment(blob: writer.id, size: writer.size)])
    }

    @discardableResult
    func put(_ bucket: String, _ key: String, _ bytes: [UInt8], metadata: ObjectMetadata = ObjectMetadata(),
             precondition: WritePrecondition = .none, blob: Bool = false) async throws -> ObjectVersion {
        let body: StoredBody = blob ? try await blobBody(bytes) : .inline(bytes)
        return try await store.putObject(bucket: bucket, key: key,
                                         NewObject(etag: Digest.md5(bytes).hexString, metadata: metadata, body: staged(body, size: Int64(bytes.count))),
                                         precondition: precondition)
    }

    /// A body the test made by hand, handed over as if staged.
    func staged(_ body: StoredBody, size: Int64) -> StagedBody {
        StagedBody(body: body, digests: BodyDigests(length: size), blobs: store.blobs)
    }

    /// Reads a whole stored version through `ObjectBodyReader`.
    func read(_ version: ObjectVersion, range: Range<Int64>? = nil) throws -> [UInt8] {
        let reader = store.openBody(of: version, range: range ?? 0..<version.size, key: nil)
        var out: [UInt8] = []
        while let chunk = try reader.next() { out += chunk.readableBytesView }
        return out
    }
}

/// The StoreError a throwing call ended with, or nil.
func storeError(_ body: () async throws -> Void) async -> StoreError? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var x = UInt32(seed) &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        return UInt8(truncatingIfNeeded: x)
    }
}

extension DeleteOutcome {
    func matches(_ versionId: String?, _ deleteMarker: Bool) -> Bool {
        self.versionId == versionId && self.deleteMarker == deleteMarker
    }
}
