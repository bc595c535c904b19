import LockstepCrypto
import NIOCore
import Store

/// A body fully received, verified and durable (or small enough to commit inline), ready for the index.
struct IngestedBody {
    var body: StoredBody
    var digests: PayloadDigests
}

extension S3Service {
    /// Bodies at least this large are hashed on two extra threads (see `DigestLanes`).
    static let parallelHashingThreshold: Int64 = 1 << 20

    /// The largest single PUT or part S3 accepts (5 GiB).
    static let maximumUploadSize: Int64 = 5 * 1024 * 1024 * 1024

    /// Streams a verified payload into the store: inline bytes when small, otherwise a blob file (fsynced before return).
    func ingest(_ payload: PayloadReader) async throws -> IngestedBody {
        if let declared = payload.declaredLength, declared > Self.maximumUploadSize {
            throw S3Error("EntityTooLarge", .badRequest, "Your proposed upload exceeds the maximum allowed size",
                          details: [("ProposedSize", String(declared)), ("MaxSizeAllowed", String(Self.maximumUploadSize))])
        }
        if let declared = payload.declaredLength, declared <= Int64(ObjectStore.inlineLimit) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(declared))
            while let chunk = try await payload.next() { bytes += chunk.readableBytesView }
            let digests = try payload.finish()
            return IngestedBody(body: .inline(bytes), digests: digests)
        }
        guard payload.declaredLength != nil else {
            throw S3Error("MissingContentLength", .lengthRequired, "You must provide the Content-Length HTTP header.")
        }
        let parallel = payload.declaredLength! >= Self.parallelHashingThreshold
        let (segment, digests) = try await store.blobs.writeBlob { writer -> PayloadDigests in
            if parallel {
                payload.parallelize { try writer.write($0) }
                while try await payload.next() != nil {}
                return try await payload.complete()
            }
            while let chunk = try await payload.next() {
                try chunk.withUnsafeReadableBytes { try writer.write($0) }
            }
            return try payload.finish()
        }
        return IngestedBody(body: .segments([segment]), digests: digests)
    }

    /// Copies a byte range of a stored version into a new body, hashing as it goes (CopyObject, UploadPartCopy).
    func copyBody(of source: ObjectVersion, range: Range<Int64>, checksum: ChecksumAlgorithm?) async throws -> (StoredBody, md5Hex: String, StoredChecksum?) {
        let reader = ObjectBodyReader(blobs: store.blobs, body: source.body ?? .inline([]), range: range)
        let md5 = Digest(.md5)
        let computer = checksum.map(ChecksumComputer.init)
        let length = range.count
        if length <= ObjectStore.inlineLimit {
            var bytes: [UInt8] = []
            while let chunk = try reader.next() {
                chunk.withUnsafeReadableBytes { md5.update($0); computer?.update($0) }
                bytes += chunk.readableBytesView
            }
            return (.inline(bytes), md5.finalize().hexString, computer.map { StoredChecksum(algorithm: $0.algorithm, value: $0.finalizeBase64()) })
        }
        let (segment, _) = try await store.blobs.writeBlob { writer in
            while let chunk = try reader.next() {
                try chunk.withUnsafeReadableBytes { bytes in
                    md5.update(bytes)
                    computer?.update(bytes)
                    try writer.write(bytes)
                }
            }
        }
        return (.segments([segment]), md5.finalize().hexString,
                computer.map { StoredChecksum(algorithm: $0.algorithm, value: $0.finalizeBase64()) })
    }
}
