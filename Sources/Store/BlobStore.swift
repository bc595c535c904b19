import Foundation
import LockstepCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Immutable body files under `blobs/<2 hex>/<id>`, named by random ids (never by object key, so no key can reach
/// outside the data dir). Bodies are written to `tmp/`, fsynced, renamed into place and the directory fsynced before
/// the metadata transaction that makes them visible.
public final class BlobStore: @unchecked Sendable {
    // Unchecked: its paths are constants; the directories already made are only touched under `knownDirs`, the pins
    // under `pinLock`.
    public let root: String
    let blobsDir: String
    let tmpDir: String
    private let knownDirs = NSLock()
    private var createdDirs = Set<String>()
    /// Blobs being read, and those removed while they were (see `BlobPin`).
    private let pinLock = NSLock()
    private var pinCounts: [String: Int] = [:]
    private var removedWhilePinned = Set<String>()
    /// Counts `remove` calls, so a read made without `pinLock` can tell whether a removal ran while it read.
    private var removals: UInt64 = 0

    public init(dataDirectory: String) throws {
        root = dataDirectory
        blobsDir = dataDirectory + "/blobs"
        tmpDir = dataDirectory + "/tmp"
        for dir in [blobsDir, tmpDir] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // Anything left in tmp/ was never acknowledged.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
            unlink(tmpDir + "/" + name)
        }
    }

    public static func newId() -> String { secureRandomBytes(16).hexString }

    public func path(for id: String) -> String { "\(blobsDir)/\(id.prefix(2))/\(id)" }

    public func makeWriter() throws -> BlobWriter {
        let id = BlobStore.newId()
        let tmpPath = "\(tmpDir)/\(id)"
        let fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot create \(tmpPath): \(String(cString: strerror(errno)))") }
        return BlobWriter(store: self, id: id, fd: fd, tmpPath: tmpPath)
    }

    /// Creates a blob, lets `fill` write it, and makes it durable; on any failure the temp file is removed.
    /// Returns the new body segment and whatever `fill` returned.
    public func writeBlob<T>(_ fill: (BlobWriter) async throws -> T) async throws -> (BodySegment, T) {
        let writer = try makeWriter()
        do {
            let result = try await fill(writer)
            try await writer.finish()
            return (BodySegment(blob: writer.id, size: writer.size), result)
        } catch {
            writer.discard()
            throw error
        }
    }

    /// Moves a finished temp file into place durably.
    func install(id: String, tmpPath: String) throws {
        let dir = "\(blobsDir)/\(id.prefix(2))"
        try ensureDirectory(dir)
        guard rename(tmpPath, path(for: id)) == 0 else { throw StoreError.io("rename failed: \(String(cString: strerror(errno)))") }
        try fsyncDirectory(dir)
    }

    private func ensureDirectory(_ dir: String) throws {
        knownDirs.lock()
        let known = createdDirs.contains(dir)
        knownDirs.unlock()
        if known { return }
        if mkdir(dir, 0o700) == 0 {
            try fsyncDirectory(blobsDir)
        } else if errno != EEXIST {
            throw StoreError.io("mkdir \(dir): \(String(cString: strerror(errno)))")
        }
        knownDirs.lock()
        createdDirs.insert(dir)
        knownDirs.unlock()
    }

    func fsyncDirectory(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("open \(dir): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.io("fsync \(dir): \(String(cString: strerror(errno)))") }
    }

    /// Removes blob files no longer referenced by any committed version or part. A blob a reader has pinned goes when
    /// its last pin does.
    public func remove(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        let unpinned = pinLock.withLock {
            removals &+= 1
            return ids.filter { id in
                guard pinCounts[id] != nil else { return true }
                removedWhilePinned.insert(id)
                return false
            }
        }
        for id in unpinned { unlink(path(for: id)) }
    }

    /// Runs `read` — an index read that finds a version — and pins the blobs of the body it returns, as one step with
    /// respect to `remove`. Blobs are removed only after the commit that stopped referencing them, so a read that
    /// starts before no removal ran meanwhile found blobs that still exist.
    ///
    /// The read itself runs outside `pinLock` (holding it across the query serialized every GET): `removals` says
    /// whether a removal ran between the read's start and its pin, and only then is the read repeated under the lock.
    /// Bodies stored inline have nothing to pin.
    func pinning(_ read: () throws -> ObjectVersion) rethrows -> ObjectVersion {
        let before = pinLock.withLock { removals }
        var version = try read()
        let ids = version.body?.blobIds ?? []
        if ids.isEmpty { return version }
        let pinned = pinLock.withLock { () -> Bool in
            guard removals == before else { return false }
            for id in ids { pinCounts[id, default: 0] += 1 }
            return true
        }
        if pinned {
            version.bodyPin = BlobPin(ids: ids, blobs: self)
            return version
        }
        return try pinLock.withLock {
            var version = try read()
            let ids = version.body?.blobIds ?? []
            if !ids.isEmpty {
                for id in ids { pinCounts[id, default: 0] += 1 }
                version.bodyPin = BlobPin(ids: ids, blobs: self)
            }
            return version
        }
    }

    fileprivate func unpin(_ ids: [String]) {
        let released = pinLock.withLock {
            ids.filter { id in
                let count = (pinCounts[id] ?? 1) - 1
                pinCounts[id] = count > 0 ? count : nil
                return count <= 0 && removedWhilePinned.remove(id) != nil
            }
        }
        for id in released { unlink(path(for: id)) }
    }

    public func openReader(id: String) throws -> BlobReader {
        let fd = open(path(for: id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("blob \(id) is missing: \(String(cString: strerror(errno)))") }
        return BlobReader(fd: fd)
    }

    /// Every blob id on disk (for the orphan sweep after a crash).
    func allBlobIds() -> [(id: String, modified: Int64)] {
        var out: [(String, Int64)] = []
        for sub in (try? FileManager.default.contentsOfDirectory(atPath: blobsDir)) ?? [] {
            let dir = blobsDir + "/" + sub
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                var st = stat()
                if stat(dir + "/" + name, &st) == 0 {
                    out.append((name, Int64(st.st_mtim.tv_sec) * 1000))
                }
            }
        }
        return out
    }
}

/// A hold on the blob files of one version being read (a GET, a copy's source). While a blob is pinned, removing it — an
/// overwrite, a delete, an expiry — only marks it, and the file goes when the last pin does: every read returns the
/// whole version it started with, whatever commits meanwhile.
public final class BlobPin: Sendable, Equatable {
    let ids: [String]
    let blobs: BlobStore

    init(ids: [String], blobs: BlobStore) {
        self.ids = ids
        self.blobs = blobs
    }

    deinit { blobs.unpin(ids) }

    /// A pin never makes two reads of the same version differ.
    public static func == (lhs: BlobPin, rhs: BlobPin) -> Bool { true }
}

/// Streams one body into a temp file; `finish()` makes it durable and installs it.
public final class BlobWriter: @unchecked Sendable {
    // Unchecked: one writer is filled by one staging task, one write at a time (a hashing lane is a serial queue).
    public let id: String
    public private(set) var size: Int64 = 0
    private let store: BlobStore
    private var fd: Int32
    private let tmpPath: String

    init(store: BlobStore, id: String, fd: Int32, tmpPath: String) {
        self.store = store; self.id = id; self.fd = fd; self.tmpPath = tmpPath
    }

    deinit { discard() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        size += Int64(bytes.count)
    }

    /// fsync the file, rename it into `blobs/`, fsync the directory. Runs off the caller's thread: fsync can block.
    public func finish() async throws {
        let fd = self.fd
        let store = self.store, id = self.id, tmpPath = self.tmpPath
        try await runBlocking {
            guard fsync(fd) == 0 else { throw StoreError.io("fsync failed: \(String(cString: strerror(errno)))") }
            close(fd)
            try store.install(id: id, tmpPath: tmpPath)
        }
        self.fd = -1
    }

    /// Drops an unfinished body.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
            unlink(tmpPath)
        }
    }
}

/// Positional reads from one blob file.
public final class BlobReader: @unchecked Sendable {
    // Unchecked: the descriptor is immutable and `pread` takes explicit offsets, so concurrent reads cannot interfere.
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the number read (0 at end of file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("read failed: \(String(cString: strerror(errno)))")
            }
            return n
        }
    }
}

private let blockingQueue = DispatchQueue(label: "lockstep.blocking-io", attributes: .concurrent)

/// Runs a blocking system call (fsync) on a dispatch thread instead of a Swift concurrency worker.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        blockingQueue.async {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
    }
}
