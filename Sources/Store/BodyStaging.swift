import LockstepCrypto
import NIOCore

/// Where a body to stage comes from: a request's verified payload, or a stored version being copied.
public protocol BodySource: AnyObject {
    /// The length the source announces before it is read (`Content-Length`); nil when unknown.
    var declaredLength: Int64? { get }
    /// The next piece of the body, nil at the end.
    func next() async throws -> ByteBuffer?
}

/// Where a staged body may go: inline in the index when small (objects), or always a blob file (parts, which become
/// segments of a multipart object).
public enum BodyPlacement: Sendable {
    case inlineWhenSmall
    case blob
}

/// A body received, measured and made durable (or small enough to ride inside the index row), not yet part of any
/// version. Committing it (`putObject`, `putPart`) hands its blob to the index; a staged body dropped uncommitted —
/// a failed check, a lost precondition race, a failed commit — removes its blob by itself.
public final class StagedBody: @unchecked Sendable {
    // Unchecked: `committed` is set once, by the store after the commit, while the staging request still holds it.
    public let body: StoredBody
    /// The plaintext's length and digests.
    public let digests: BodyDigests
    private let blobs: BlobStore
    private var committed = false

    init(body: StoredBody, digests: BodyDigests, blobs: BlobStore) {
        self.body = body
        self.digests = digests
        self.blobs = blobs
    }

    /// Called by the store once the index references the body.
    func markCommitted() { committed = true }

    deinit {
        if !committed { blobs.remove(body.blobIds) }
    }
}

extension ObjectStore {
    /// Bodies at least this large are hashed and sealed on two other threads (see `DigestLanes`).
    static let parallelStagingThreshold: Int64 = 1 << 20

    /// Streams `source` into a new body: measured (`digests`), sealed under `key` as it arrives, inline when small
    /// and allowed, otherwise a blob file fsynced and in place before this returns.
    public func stage(_ source: some BodySource, digests request: DigestRequest, sealing key: BodyKey?,
                      placement: BodyPlacement = .inlineWhenSmall) async throws -> StagedBody {
        let digests = DigestSet(request)
        if placement == .inlineWhenSmall, let declared = source.declaredLength, declared <= Int64(Self.inlineLimit) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(declared))
            while let chunk = try await source.next() {
                chunk.withUnsafeReadableBytes { digests.update($0) }
                bytes += chunk.readableBytesView
            }
            return StagedBody(body: .inline(try key?.seal(bytes) ?? bytes), digests: digests.finalize(), blobs: blobs)
        }
        let parallel = (source.declaredLength ?? 0) >= Self.parallelStagingThreshold
        var (segment, _) = try await blobs.writeBlob { writer in
            // Sealing runs where the blob is written: on a hashing lane for large bodies, beside SHA-256 and the checksum,
            // never on the MD5 lane that bounds a single upload's speed.
            let sink = try Self.sink(writing: writer, sealing: key)
            if parallel {
                let md5Lane: [DigestLanes.Work] = digests.computesMD5 ? [digests.updateMD5] : []
                let lanes = DigestLanes([md5Lane, [digests.updateOthers, sink.append]].filter { !$0.isEmpty })
                do {
                    while let chunk = try await source.next() { try await lanes.submit(chunk) }
                } catch {
                    // Nothing may still be writing when the blob file is discarded and its descriptor closed.
                    await lanes.drain()
                    throw error
                }
                try await lanes.finish()
            } else {
                while let chunk = try await source.next() {
                    try chunk.withUnsafeReadableBytes { bytes in
                        digests.update(bytes)
                        try sink.append(bytes)
                    }
                }
            }
            try sink.finish()
        }
        let measured = digests.finalize()
        segment.size = measured.length  // the plaintext size; a sealed blob is larger by its frame tags
        return StagedBody(body: .segments([segment]), digests: measured, blobs: blobs)
    }

    /// A copy of `range` of a stored version (CopyObject, UploadPartCopy): opened with the source's key, sealed with the
    /// destination's.
    public func stageCopy(of version: ObjectVersion, range: Range<Int64>, opening sourceKey: BodyKey?, digests: DigestRequest,
                          sealing key: BodyKey?, placement: BodyPlacement = .inlineWhenSmall) async throws -> StagedBody {
        try await stage(openBody(of: version, range: range, key: sourceKey), digests: digests, sealing: key, placement: placement)
    }

    /// A reader of `range` of a version's plaintext (the version must have been read with its body). It holds the
    /// version's pin: the blobs it reads stay until it is done, even if the version is overwritten or deleted meanwhile.
    public func openBody(of version: ObjectVersion, range: Range<Int64>, key: BodyKey?) -> ObjectBodyReader {
        ObjectBodyReader(blobs: blobs, body: version.body ?? .inline([]), range: range, key: key, pin: version.bodyPin)
    }

    /// Where body bytes go on their way into a blob: straight in, or through the frame encryptor (keyed by the blob's id).
    static func sink(writing writer: BlobWriter, sealing key: BodyKey?) throws -> (append: (UnsafeRawBufferPointer) throws -> Void, finish: () throws -> Void) {
        guard let key else { return ({ try writer.write($0) }, {}) }
        let encryptor = try key.encryptor(identity: writer.id)
        return ({ try encryptor.append($0) { try writer.write($0) } }, { try encryptor.finish { try writer.write($0) } })
    }
}

extension ObjectStore {
    /// Stages a body already in memory.
    public func stage(bytes: [UInt8], digests: DigestRequest = DigestRequest(md5: true), sealing key: BodyKey? = nil,
                      placement: BodyPlacement = .inlineWhenSmall) async throws -> StagedBody {
        try await stage(BytesSource(bytes), digests: digests, sealing: key, placement: placement)
    }
}

/// A body held in memory, delivered in one piece.
final class BytesSource: BodySource {
    private var bytes: [UInt8]?
    let declaredLength: Int64?

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        declaredLength = Int64(bytes.count)
    }

    func next() async throws -> ByteBuffer? {
        defer { bytes = nil }
        return bytes.map { ByteBuffer(bytes: $0) }
    }
}
