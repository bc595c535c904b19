/// Which digests to compute over a body as it streams by.
public struct DigestRequest: Sendable, Equatable {
    /// The ETag of simple objects and parts, and `Content-MD5`.
    public var md5: Bool
    /// A signed `x-amz-content-sha256`.
    public var sha256: Bool
    /// The additional checksum (`x-amz-checksum-*`), if any.
    public var checksum: ChecksumAlgorithm?

    public init(md5: Bool = false, sha256: Bool = false, checksum: ChecksumAlgorithm? = nil) {
        self.md5 = md5; self.sha256 = sha256; self.checksum = checksum
    }
}

/// A body's length and the digests a `DigestRequest` asked for.
public struct BodyDigests: Sendable, Equatable {
    public var length: Int64
    public var md5: [UInt8]?
    public var sha256: [UInt8]?
    public var checksum: [UInt8]?
    public var checksumAlgorithm: ChecksumAlgorithm?

    public init(length: Int64, md5: [UInt8]? = nil, sha256: [UInt8]? = nil, checksum: [UInt8]? = nil, checksumAlgorithm: ChecksumAlgorithm? = nil) {
        self.length = length; self.md5 = md5; self.sha256 = sha256; self.checksum = checksum; self.checksumAlgorithm = checksumAlgorithm
    }
}

/// The running digests of one body. `update` feeds them all; a parallel reader feeds `md5Lane` and `otherLanes`
/// separately (MD5, the slowest, on a core of its own).
public final class DigestSet {
    private let md5: Digest?
    private let sha256: Digest?
    private let checksum: ChecksumComputer?
    private var length: Int64 = 0

    public init(_ request: DigestRequest) {
        md5 = request.md5 ? Digest(.md5) : nil
        sha256 = request.sha256 ? Digest(.sha256) : nil
        checksum = request.checksum.map(ChecksumComputer.init)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        md5?.update(bytes)
        sha256?.update(bytes)
        checksum?.update(bytes)
        length += Int64(bytes.count)
    }

    /// MD5 only (nothing when no MD5 was asked for).
    public func updateMD5(_ bytes: UnsafeRawBufferPointer) { md5?.update(bytes) }

    /// Everything but MD5, and the length.
    public func updateOthers(_ bytes: UnsafeRawBufferPointer) {
        sha256?.update(bytes)
        checksum?.update(bytes)
        length += Int64(bytes.count)
    }

    public var computesMD5: Bool { md5 != nil }

    /// Finishes every digest; the set must not be updated afterwards.
    public func finalize() -> BodyDigests {
        BodyDigests(length: length, md5: md5?.finalize(), sha256: sha256?.finalize(), checksum: checksum?.finalize(),
                    checksumAlgorithm: checksum?.algorithm)
    }
}
