import LockstepCrypto
import Store

extension S3Service {
    /// The largest single PUT or part S3 accepts (5 GiB).
    static let maximumUploadSize: Int64 = 5 * 1024 * 1024 * 1024

    /// Receives a request body into the store under S3's size rules, sealed under `key`, and checks it against every
    /// digest the client claimed. A body that fails a check is dropped, and its staged blob with it.
    func stage(_ payload: PayloadReader, sealing key: BodyKey?, placement: BodyPlacement = .inlineWhenSmall) async throws -> (StagedBody, PayloadDigests) {
        guard let declared = payload.declaredLength else {
            // HTTP chunked framing with no length anywhere (no Content-Length, no x-amz-decoded-content-length) is
            // what S3 does not implement; without any framing the length is simply missing.
            if payload.isHTTPChunked { throw S3Error(.notImplemented, details: [("Header", "Transfer-Encoding")]) }
            throw S3Error(.missingContentLength)
        }
        if declared > Self.maximumUploadSize {
            throw S3Error(.entityTooLarge, details: [("ProposedSize", String(declared)), ("MaxSizeAllowed", String(Self.maximumUploadSize))])
        }
        let staged = try await store.stage(payload, digests: payload.digestRequest, sealing: key, placement: placement)
        return (staged, try payload.verify(staged.digests))
    }
}
