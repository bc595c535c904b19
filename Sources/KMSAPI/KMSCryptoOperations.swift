import AWSJSON
import Foundation
import KeyService
import LockstepCrypto

/// Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext). Ciphertexts are `Keyring.wrap` blobs: they name the key and
/// material generation, and the encryption context is bound as associated data, so Decrypt needs no key id and a
/// different context fails.
extension KMSService {
    static let encryptionAlgorithms = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]

    /// The asymmetric algorithms are valid names but not for a symmetric key.
    func checkAlgorithm(_ request: JSONMembers) throws(AWSJSONError) {
        if let algorithm = try request.enumeration("EncryptionAlgorithm", Self.encryptionAlgorithms), algorithm != Self.algorithm {
            throw AWSJSONError("InvalidKeyUsageException", "The encryption algorithm \(algorithm) is not valid for a SYMMETRIC_DEFAULT key.")
        }
    }

    func checkGrantTokens(_ request: JSONMembers) throws(AWSJSONError) {
        // Grants do not exist in Lockstep; the tokens are only checked for shape.
        guard let value = request.members["GrantTokens"], value != .null else { return }
        guard case .array(let tokens) = value, tokens.allSatisfy({ if case .string = $0 { true } else { false } }) else {
            throw AWSJSONError.wrongType("GrantTokens", "a list of strings")
        }
    }

    /// DryRun answers as AWS does once every check has passed.
    func checkDryRun(_ request: JSONMembers) throws(AWSJSONError) {
        if try request.bool("DryRun") == true {
            throw AWSJSONError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", status: .preconditionFailed)
        }
    }

    func wrap(_ plaintext: [UInt8], under key: KMSKey, context: [String: String]) throws(AWSJSONError) -> [UInt8] {
        do {
            return try keyring.wrap(dataKey: plaintext, keyId: key.id, context: context)
        } catch {
            throw kmsError(error, id: key.id)
        }
    }

    func encrypt(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try keyId(request)
        let plaintext = try request.blob("Plaintext", required: true, length: 1...4096)!
        let context = try request.stringMap("EncryptionContext") ?? [:]
        try checkAlgorithm(request)
        try checkGrantTokens(request)
        let key = try resolve(reference)
        try requireEnabled(key)
        try checkDryRun(request)
        let blob = try wrap(plaintext, under: key, context: context)
        return ["CiphertextBlob": .string(Base64.encode(blob)), "KeyId": .string(keyARN(key.id)),
                "EncryptionAlgorithm": .string(Self.algorithm)]
    }

    func decrypt(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let blob = try request.blob("CiphertextBlob", required: true, length: 1...6144)!
        let context = try request.stringMap("EncryptionContext") ?? [:]
        let reference = try request.string("KeyId", length: 1...2048)
        try checkAlgorithm(request)
        try checkGrantTokens(request)
        let named = try reference.map { (reference: String) throws(AWSJSONError) in try resolve(reference) }
        // The blob names its key; the hidden SSE-S3 key's blobs are as foreign here as any other bytes.
        guard let blobKeyId = Keyring.keyId(ofWrapped: blob), (try? keyring.key(blobKeyId))?.isServiceKey != true else {
            throw AWSJSONError(keyring: KeyringError.invalidCiphertext, arn: nil)
        }
        if let named, named.id != blobKeyId {
            throw AWSJSONError("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
        }
        if let named { try requireEnabled(named) }
        try checkDryRun(request)
        let plaintext: [UInt8]
        do {
            plaintext = try keyring.unwrap(blob, context: context).dataKey
        } catch {
            throw kmsError(error, id: blobKeyId)
        }
        return ["KeyId": .string(keyARN(blobKeyId)), "Plaintext": .string(Base64.encode(plaintext)),
                "EncryptionAlgorithm": .string(Self.algorithm)]
    }

    /// A fresh random data key, returned wrapped (and in the clear unless `withPlaintext` is false).
    func generateDataKey(_ request: JSONMembers, withPlaintext: Bool) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try keyId(request)
        let spec = try request.enumeration("KeySpec", ["AES_256", "AES_128"])
        let count = try request.int("NumberOfBytes", range: 1...1024)
        let context = try request.stringMap("EncryptionContext") ?? [:]
        try checkGrantTokens(request)
        let length: Int
        switch (spec, count) {
        case (let spec?, nil): length = spec == "AES_256" ? 32 : 16
        case (nil, let count?): length = count
        default: throw .validation("Please specify either number of bytes or key spec.")
        }
        let key = try resolve(reference)
        try requireEnabled(key)
        try checkDryRun(request)
        let dataKey = secureRandomBytes(length)
        let blob = try wrap(dataKey, under: key, context: context)
        var fields: [String: JSONValue] = ["CiphertextBlob": .string(Base64.encode(blob)), "KeyId": .string(keyARN(key.id))]
        if withPlaintext { fields["Plaintext"] = .string(Base64.encode(dataKey)) }
        return fields
    }
}
