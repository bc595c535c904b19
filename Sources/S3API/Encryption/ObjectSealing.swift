import Foundation
import FrontDoors
import KeyService
import LockstepCrypto
import Store

/// A new version's (or upload's) encryption: the record stored with it and the key its body is sealed with.
struct NewEncryption {
    var record: ObjectEncryption
    var key: BodyKey
}

/// Envelope encryption of object bodies: a fresh data key per version (or multipart upload), wrapped by the SSE-S3
/// service key, a KMS key, or the customer's key; the wrap is bound to the object's ARN, as S3 binds it in the KMS
/// encryption context.
extension S3Service {
    /// Decides and prepares the encryption of a write: the request's headers, else the bucket's default (SSE-S3 when none).
    func newEncryption(_ requested: RequestedEncryption, bucket: String, key objectKey: String) async throws -> NewEncryption {
        guard let configuration = try store.configuration(bucket: bucket) else { throw S3Error.noSuchBucket(bucket) }
        let bucketDefault = configuration.encryption ?? .default
        var requested = requested
        if case .bucketDefault = requested {
            requested = bucketDefault.algorithm.usesKMS
                ? .kms(mode: bucketDefault.algorithm, keyReference: bucketDefault.kmsMasterKeyId, context: nil, bucketKey: bucketDefault.bucketKeyEnabled)
                : .sseS3
        }
        let bodyKey = BodyKey.random()
        let prefix = Data(bodyKey.noncePrefix)
        switch requested {
        case .bucketDefault, .sseS3:
            let serviceKey = try kmsCall(reference: "SSE-S3") { try keyring.serviceKey() }
            let wrapped = try wrap(bodyKey, keyId: serviceKey.id, context: Self.arnContext(bucket, objectKey, bucketKey: false, extra: nil))
            return NewEncryption(record: ObjectEncryption(mode: .sseS3, keyId: serviceKey.id, wrappedKey: wrapped, noncePrefix: prefix), key: bodyKey)
        case .kms(let mode, let reference, let contextText, let bucketKeyRequested):
            let kmsKey = try kmsCall(reference: reference ?? Keyring.awsS3Alias) { try resolveKMSKey(reference) }
            let bucketKey = bucketKeyRequested ?? (bucketDefault.algorithm.usesKMS && bucketDefault.bucketKeyEnabled)
            let extra = try contextText.map(RequestedEncryption.decodeContext)
            let wrapped = try wrap(bodyKey, keyId: kmsKey.id, context: Self.arnContext(bucket, objectKey, bucketKey: bucketKey, extra: extra))
            return NewEncryption(record: ObjectEncryption(mode: mode, keyId: kmsKey.id, bucketKeyEnabled: bucketKey, context: contextText,
                                                          wrappedKey: wrapped, noncePrefix: prefix), key: bodyKey)
        case .sseC(let customer):
            let wrapped = try Keyring.wrap(dataKey: bodyKey.dataKey, customerKey: customer.key)
            return NewEncryption(record: ObjectEncryption(mode: .sseC, wrappedKey: Data(wrapped), noncePrefix: prefix,
                                                          customerKeyMD5: customer.md5Base64), key: bodyKey)
        }
    }

    /// The KMS key a write names; the `aws/s3` managed key (by default, or named by alias or alias ARN) is created on
    /// first use, as AWS creates it.
    func resolveKMSKey(_ reference: String?) throws -> KMSKey {
        guard let reference else { return try keyring.awsManagedS3Key() }
        do {
            return try keyring.resolve(reference)
        } catch KeyringError.notFound where reference == Keyring.awsS3Alias || reference.hasSuffix(":" + Keyring.awsS3Alias) {
            return try keyring.awsManagedS3Key()
        }
    }

    /// Checks a read's SSE-C headers against a stored version and, when `unwrap` is set, returns the key that opens its
    /// body (nil for bodies stored in the clear, or when not unwrapping). HEAD checks without unwrapping, as S3's HEAD
    /// does not call KMS.
    func openEncryption(_ record: ObjectEncryption?, bucket: String, key objectKey: String, customer: CustomerKey?,
                        unwrap: Bool) throws -> BodyKey? {
        guard let record else {
            if customer != nil { throw S3Error.invalidRequest("The encryption parameters are not applicable to this object.") }
            return nil
        }
        guard record.mode == .sseC else {
            if customer != nil { throw S3Error.invalidRequest("The encryption parameters are not applicable to this object.") }
            guard unwrap else { return nil }
            let extra = try record.context.map(RequestedEncryption.decodeContext)
            let context = Self.arnContext(bucket, objectKey, bucketKey: record.bucketKeyEnabled, extra: extra)
            let opened = try kmsCall(reference: record.keyId ?? "") { try keyring.unwrap(Array(record.wrappedKey), context: context) }
            return BodyKey(dataKey: opened.dataKey, noncePrefix: Array(record.noncePrefix))
        }
        guard let customer else {
            throw S3Error.invalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        }
        guard customer.matches(record) else { throw S3Error.accessDenied() }
        guard unwrap else { return nil }
        guard let dataKey = Keyring.unwrap(customerWrapped: Array(record.wrappedKey), customerKey: customer.key) else {
            throw S3Error.accessDenied()
        }
        return BodyKey(dataKey: dataKey, noncePrefix: Array(record.noncePrefix))
    }

    /// `x-amz-server-side-encryption*` response headers for a stored record, as S3 sends them.
    func applyEncryptionHeaders(_ record: ObjectEncryption?, to response: inout APIResponse, includeContext: Bool = false,
                                echoCustomerKey: Bool = true) {
        guard let record else { return }
        switch record.mode {
        case .sseS3:
            response.set(RequestedEncryption.modeHeader, record.mode.rawValue)
        case .sseKMS, .sseKMSDSSE:
            response.set(RequestedEncryption.modeHeader, record.mode.rawValue)
            response.set(RequestedEncryption.keyIdHeader, record.keyId.map { LockstepAccount.keyARN(region: configuration.region, keyId: $0) })
            if record.bucketKeyEnabled { response.set(RequestedEncryption.bucketKeyHeader, "true") }
            if includeContext { response.set(RequestedEncryption.contextHeader, record.context) }
        case .sseC:
            guard echoCustomerKey else { return }
            response.set(CustomerKey.objectPrefix + "algorithm", "AES256")
            response.set(CustomerKey.objectPrefix + "key-MD5", record.customerKeyMD5)
        }
    }

    /// The object's ARN (or, with an S3 Bucket Key, the bucket's) plus any context the client gave, as S3 passes to KMS.
    static func arnContext(_ bucket: String, _ key: String, bucketKey: Bool, extra: [String: String]?) -> [String: String] {
        var context = extra ?? [:]
        if context["aws:s3:arn"] == nil { context["aws:s3:arn"] = bucketKey ? "arn:aws:s3:::\(bucket)" : "arn:aws:s3:::\(bucket)/\(key)" }
        return context
    }

    private func wrap(_ key: BodyKey, keyId: String, context: [String: String]) throws -> Data {
        Data(try kmsCall(reference: keyId) { try keyring.wrap(dataKey: key.dataKey, keyId: keyId, context: context) })
    }

    /// Runs a keyring operation, turning its failures into the errors S3 reports for KMS problems.
    func kmsCall<T>(reference: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as KeyringError {
            let arn = { (id: String) in LockstepAccount.keyARN(region: self.configuration.region, keyId: id) }
            switch error {
            case .notFound:
                throw S3Error(.kmsNotFound, "Invalid keyId '\(reference)'")
            case .disabled(let id):
                throw S3Error(.kmsDisabled, "\(arn(id)) is disabled.")
            case .pendingDeletion(let id):
                throw S3Error(.kmsInvalidState, "\(arn(id)) is pending deletion.")
            case .invalidCiphertext:
                throw S3Error.internalError("The data key of this object does not open under its KMS key; the index was altered or damaged.")
            case .wrongRootKey, .corrupt, .io:
                throw S3Error.internalError("Key service failure: \(error)")
            }
        }
    }
}
