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

    /// Streams a verified payload into the store: inline bytes when small, otherwise a blob file (fsynced before return),
    /// sealed under `key` as it arrives. Parts always go to a blob file (`alwaysBlob`): they become segments of the object.
    func ingest(_ payload: PayloadReader, sealing key: BodyKey?, alwaysBlob: Bool = false) async throws -> IngestedBody {
        if let declared = payload.declaredLength, declared > Self.maximumUploadSize {
            throw S3Error("EntityTooLarge", .badRequest, "Your proposed upload exceeds the maximum allowed size",
                          details: [("ProposedSize", String(declared)), ("MaxSizeAllowed", String(Self.maximumUploadSize))])
        }
        if !alwaysBlob, let declared = payload.declaredLength, declared <= Int64(ObjectStore.inlineLimit) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(declared))
            while let chunk = try await payload.next() { bytes += chunk.readableBytesView }
            let digests = try payload.finish()
            return IngestedBody(body: .inline(try key?.seal(bytes) ?? bytes), digests: digests)
        }
        guard payload.declaredLength != nil else {
            throw S3Error("MissingContentLength", .lengthRequired, "You must provide the Content-Length HTTP header.")
        }
        let parallel = payload.declaredLength! >= Self.parallelHashingThreshold
        var (segment, digests) = try await store.blobs.writeBlob { writer -> PayloadDigests in
            // Sealing runs where the blob is written: on a hashing lane for large bodies, beside SHA-256 and the checksum,
            // never on the MD5 lane that bounds a single upload's speed.
            let sink = try Self.sink(writing: writer, sealing: key)
            if parallel {
                payload.parallelize(sink: sink.append)
                while try await payload.next() != nil {}
                let digests = try await payload.complete()
                try sink.finish()
                return digests
            }
            while let chunk = try await payload.next() {
                try chunk.withUnsafeReadableBytes { try sink.append($0) }
            }
            let digests = try payload.finish()
            try sink.finish()
            return digests
        }
        segment.size = digests.length  // the plaintext size; a sealed blob is larger by its frame tags
        return IngestedBody(body: .segments([segment]), digests: digests)
    }

    /// Where body bytes go on their way into a blob: straight in, or through the frame encryptor (keyed by the blob's id).
    static func sink(writing writer: BlobWriter, sealing key: BodyKey?) throws -> (append: (UnsafeRawBufferPointer) throws -> Void, finish: () throws -> Void) {
        guard let key else { return ({ try writer.write($0) }, {}) }
        let encryptor = try key.encryptor(identity: writer.id)
        return ({ try encryptor.append($0) { try writer.write($0) } }, { try encryptor.finish { try writer.write($0) } })
    }

    /// Copies a byte range of a stored version into a new body, hashing as it goes (CopyObject, UploadPartCopy): opened
    /// with the source's key, sealed with the destination's.
    func copyBody(of source: ObjectVersion, opening sourceKey: BodyKey?, range: Range<Int64>, checksum: ChecksumAlgorithm?,
                  sealing key: BodyKey?, alwaysBlob: Bool = false) async throws -> (StoredBody, md5Hex: String, StoredChecksum?) {
        let reader = ObjectBodyReader(blobs: store.blobs, body: source.body ?? .inline([]), range: range, key: sourceKey)
        let md5 = Digest(.md5)
        let computer = checksum.map(ChecksumComputer.init)
        let length = range.count
        if !alwaysBlob && length <= ObjectStore.inlineLimit {
            var bytes: [UInt8] = []
            while let chunk = try reader.next() {
                chunk.withUnsafeReadableBytes { md5.update($0); computer?.update($0) }
                bytes += chunk.readableBytesView
            }
            return (.inline(try key?.seal(bytes) ?? bytes), md5.finalize().hexString,
                    computer.map { StoredChecksum(algorithm: $0.algorithm, value: $0.finalizeBase64()) })
        }
        var (segment, _) = try await store.blobs.writeBlob { writer in
            let sink = try Self.sink(writing: writer, sealing: key)
            while let chunk = try reader.next() {
                try chunk.withUnsafeReadableBytes { bytes in
                    md5.update(bytes)
                    computer?.update(bytes)
                    try sink.append(bytes)
                }
            }
            try sink.finish()
        }
        segment.size = Int64(length)
        return (.segments([segment]), md5.finalize().hexString,
                computer.map { StoredChecksum(algorithm: $0.algorithm, value: $0.finalizeBase64()) })
    }
}
