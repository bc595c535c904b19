import Foundation
import LockstepCrypto
import Store

/// A customer-provided key (SSE-C) from the three `…-customer-algorithm/-key/-key-MD5` headers, checked as S3 does.
/// It lives only for the request: Lockstep stores its MD5, never the key.
struct CustomerKey {
    let key: [UInt8]
    let md5Base64: String

    static let objectPrefix = "x-amz-server-side-encryption-customer-"
    static let copySourcePrefix = "x-amz-copy-source-server-side-encryption-customer-"

    /// nil when none of the three headers is present.
    static func parse(_ c: S3Context, prefix: String = objectPrefix) throws -> CustomerKey? {
        let algorithm = c.header(prefix + "algorithm"), keyText = c.header(prefix + "key"), md5Text = c.header(prefix + "key-md5")
        if algorithm == nil && keyText == nil && md5Text == nil { return nil }
        guard let algorithm else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                                          name: prefix + "algorithm")
        }
        guard algorithm == "AES256" else {
            throw S3Error(.invalidEncryptionAlgorithmError,
                          details: [("ArgumentName", prefix + "algorithm"), ("ArgumentValue", algorithm)])
        }
        guard let keyText else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
                                          name: prefix + "key")
        }
        guard let key = Base64.decode(keyText), key.count == 32 else {
            throw S3Error.invalidArgument("The secret key was invalid for the specified algorithm.", name: prefix + "key")
        }
        guard let md5Text else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
                                          name: prefix + "key-MD5")
        }
        let actual = Digest.hash(.md5, key)
        guard let claimed = Base64.decode(md5Text), constantTimeEquals(claimed, actual) else {
            throw S3Error.invalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.", name: prefix + "key-MD5")
        }
        return CustomerKey(key: key, md5Base64: Base64.encode(actual))
    }

    /// Whether this is the key a stored SSE-C record was written with (compared by MD5, in constant time).
    func matches(_ record: ObjectEncryption) -> Bool {
        guard let stored = record.customerKeyMD5.flatMap(Base64.decode), let given = Base64.decode(md5Base64) else { return false }
        return constantTimeEquals(stored, given)
    }
}

/// What a write asks for in `x-amz-server-side-encryption*` headers (before the bucket default is applied).
enum RequestedEncryption {
    case bucketDefault
    case sseS3
    case kms(mode: ObjectEncryption.Mode, keyReference: String?, context: String?, bucketKey: Bool?)
    case sseC(CustomerKey)

    static let modeHeader = "x-amz-server-side-encryption"
    static let keyIdHeader = "x-amz-server-side-encryption-aws-kms-key-id"
    static let contextHeader = "x-amz-server-side-encryption-context"
    static let bucketKeyHeader = "x-amz-server-side-encryption-bucket-key-enabled"

    static func parse(_ c: S3Context) throws -> RequestedEncryption {
        let customer = try CustomerKey.parse(c)
        let modeText = c.header(modeHeader)
        let keyId = c.header(keyIdHeader), context = c.header(contextHeader)
        var bucketKey: Bool?
        if let text = c.header(bucketKeyHeader) {
            switch text.lowercased() {
            case "true": bucketKey = true
            case "false": bucketKey = false
            default: throw S3Error.invalidArgument("Bucket key enabled must be true or false", name: bucketKeyHeader, value: text)
            }
        }
        if let customer {
            if modeText != nil || keyId != nil || context != nil {
                throw S3Error.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                                              name: modeText != nil ? modeHeader : (keyId != nil ? keyIdHeader : contextHeader), value: modeText)
            }
            return .sseC(customer)
        }
        guard let modeText else {
            if keyId != nil || context != nil { throw kmsHeadersNeedKMS(keyId: keyId) }
            return .bucketDefault
        }
        guard let mode = ObjectEncryption.Mode(rawValue: modeText), mode != .sseC else {
            throw S3Error.invalidArgument("The encryption method specified is not supported", name: modeHeader, value: modeText)
        }
        if mode == .sseS3 {
            if keyId != nil || context != nil { throw kmsHeadersNeedKMS(keyId: keyId) }
            return .sseS3
        }
        if let keyId, keyId.isEmpty {
            throw S3Error.invalidArgument("KMS key ID cannot be empty", name: keyIdHeader)
        }
        if let context { _ = try decodeContext(context) }
        return .kms(mode: mode, keyReference: keyId, context: context, bucketKey: bucketKey)
    }

    /// A KMS key id or context without `x-amz-server-side-encryption: aws:kms`.
    private static func kmsHeadersNeedKMS(keyId: String?) -> S3Error {
        S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                                name: keyId != nil ? keyIdHeader : contextHeader)
    }

    /// `x-amz-server-side-encryption-context`: base64 of a JSON object of strings.
    static func decodeContext(_ text: String) throws -> [String: String] {
        let invalid = S3Error.invalidArgument("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
                                              name: contextHeader)
        guard let bytes = Base64.decode(text),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw invalid }
        var context: [String: String] = [:]
        for (name, value) in object {
            guard let string = value as? String else { throw invalid }
            context[name] = string
        }
        return context
    }
}
