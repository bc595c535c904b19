#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a successful verification established about a request.
public struct VerifiedRequest: Sendable {
    public let accessKey: String
    public let region: String
    /// From the credential scope: "s3", "kms", "dynamodb", "sts", …
    public let service: String
    /// X-Amz-Date (or Date) of the request.
    public let requestDate: Date
    /// "20130524T000000Z"
    public let amzDate: String
    /// "20130524/us-east-1/s3/aws4_request"
    public let scope: String
    public let signingKey: [UInt8]
    /// Hex signature of the request as sent by the client: the seed of aws-chunked chunk signatures.
    public let seedSignature: String
    public let payload: PayloadMode
    public let isPresigned: Bool
    /// Lower-cased names of the headers covered by the signature.
    public let signedHeaders: [String]
    /// False when the request was let through by `allowAnyCredentials` without a matching signature;
    /// chunk signatures are then not checked either.
    public let signatureChecked: Bool

    /// Signature Version 2 has no credential scope.
    public var isSignatureV2: Bool { scope.isEmpty }

    /// A decoder for an aws-chunked body in this request's payload mode, verifying chunk signatures when the
    /// request signature was checked; nil when the payload is not streamed.
    public func makeChunkedDecoder() -> AWSChunkedDecoder? {
        guard payload.isStreaming else { return nil }
        let signing: AWSChunkedDecoder.Signing
        if signatureChecked, payload == .streamingSigned || payload == .streamingSignedTrailer {
            signing = .signed(signingKey: signingKey, amzDate: amzDate, scope: scope, seedSignature: seedSignature)
        } else {
            signing = .unsigned
        }
        return AWSChunkedDecoder(signing: signing, trailerExpected: payload.hasTrailer)
    }
}
