import LockstepCrypto

/// Signatures of aws-chunked bodies: each chunk (and the trailer) is signed over the previous signature,
/// chaining back to the request's own signature (the seed).
enum ChunkSigning {
    static func chunkSignature(signingKey: [UInt8], amzDate: String, scope: String,
                               previousSignature: String, chunkSHA256Hex: String) -> String {
        let toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
            + emptySHA256Hex + "\n" + chunkSHA256Hex
        return signature(signingKey: signingKey, stringToSign: toSign)
    }

    /// `canonicalTrailer` is the trailer lines, each "name:value\n".
    static func trailerSignature(signingKey: [UInt8], amzDate: String, scope: String,
                                 previousSignature: String, canonicalTrailer: String) -> String {
        let toSign = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
            + Digest.sha256(Array(canonicalTrailer.utf8)).hexString
        return signature(signingKey: signingKey, stringToSign: toSign)
    }
}
