import AWSJSON
import Foundation
import HTTPTypes
import KeyService

/// The AWS KMS API (`X-Amz-Target: TrentService.<Operation>`, `application/x-amz-json-1.1`) on the keyring. The shared
/// `AWSJSONFrontDoor` reads, authenticates and answers each request; this type validates and runs one operation.
public final class KMSService: AWSJSONService {
    let keyring: Keyring
    let region: String

    public var targetPrefix: String { "TrentService" }
    public var signingName: String { "kms" }
    public var contentType: String { "application/x-amz-json-1.1" }
    static let algorithm = "SYMMETRIC_DEFAULT"

    public init(keyring: Keyring, region: String) {
        self.keyring = keyring
        self.region = region
    }

    /// The operations `run` runs (keep the two in step).
    public static let operations: Set<String> = [
        "CreateKey",
        "DescribeKey",
        "ListKeys",
        "EnableKey",
        "DisableKey",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "GetKeyRotationStatus",
        "RotateKeyOnDemand",
        "ListKeyRotations",
        "CreateAlias",
        "DeleteAlias",
        "ListAliases",
        "Encrypt",
        "Decrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
    ]
    public var operations: Set<String> { Self.operations }

    public func run(_ operation: String, _ request: JSONMembers) async throws(AWSJSONError) -> [String: JSONValue]? {
        switch operation {
        case "CreateKey": return try createKey(request)
        case "DescribeKey": return try describeKey(request)
        case "ListKeys": return try listKeys(request)
        case "EnableKey": return try enableKey(request)
        case "DisableKey": return try disableKey(request)
        case "ScheduleKeyDeletion": return try scheduleKeyDeletion(request)
        case "CancelKeyDeletion": return try cancelKeyDeletion(request)
        case "EnableKeyRotation": return try enableKeyRotation(request)
        case "DisableKeyRotation": return try disableKeyRotation(request)
        case "GetKeyRotationStatus": return try getKeyRotationStatus(request)
        case "RotateKeyOnDemand": return try rotateKeyOnDemand(request)
        case "ListKeyRotations": return try listKeyRotations(request)
        case "CreateAlias": return try createAlias(request)
        case "DeleteAlias": return try deleteAlias(request)
        case "ListAliases": return try listAliases(request)
        case "Encrypt": return try encrypt(request)
        case "Decrypt": return try decrypt(request)
        case "GenerateDataKey": return try generateDataKey(request, withPlaintext: true)
        case "GenerateDataKeyWithoutPlaintext": return try generateDataKey(request, withPlaintext: false)
        default: throw AWSJSONError("UnknownOperationException", "Lockstep does not implement TrentService.\(operation).")
        }
    }

    public func internalError(_ why: String) -> AWSJSONError { .internalError(why) }

    // MARK: Names

    func keyARN(_ id: String) -> String { LockstepAccount.keyARN(region: region, keyId: id) }
    func aliasARN(_ alias: String) -> String { LockstepAccount.aliasARN(region: region, alias: alias) }

    /// The alias a reference names (`alias/x` or an alias ARN), nil for key ids and key ARNs.
    func aliasName(in reference: String) -> String? {
        if reference.hasPrefix("alias/") { return reference }
        if reference.hasPrefix("arn:"), let range = reference.range(of: ":alias/") {
            return String(reference[reference.index(after: range.lowerBound)...])
        }
        return nil
    }

    /// A key named by id, key ARN, alias name or alias ARN, as AWS accepts them. The hidden SSE-S3 service key does
    /// not exist here. `alias/aws/s3` brings the AWS managed key into being on first use, as at AWS.
    func resolve(_ reference: String) throws(AWSJSONError) -> KMSKey {
        if reference.hasPrefix("arn:") {
            let fields = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[1] == "aws", fields[3] == Substring(region) else { throw notFound(reference) }
        }
        do {
            let key = aliasName(in: reference) == Keyring.awsS3Alias ? try keyring.awsManagedS3Key() : try keyring.resolve(reference)
            guard key.isServiceKey != true else { throw notFound(reference) }
            return key
        } catch let error as AWSJSONError {
            throw error
        } catch KeyringError.notFound {
            throw notFound(reference)
        } catch {
            throw AWSJSONError(keyring: error, arn: nil)
        }
    }

    func notFound(_ reference: String) -> AWSJSONError {
        if let alias = aliasName(in: reference) {
            return AWSJSONError("NotFoundException", "Alias \(reference.hasPrefix("arn:") ? reference : aliasARN(alias)) is not found.")
        }
        return AWSJSONError("NotFoundException", "Key '\(reference.hasPrefix("arn:") ? reference : keyARN(reference))' does not exist")
    }

    /// Turns a keyring failure about key `id` into the KMS error AWS gives.
    func kmsError(_ error: any Error, id: String) -> AWSJSONError {
        if let error = error as? AWSJSONError { return error }
        if case KeyringError.notFound = error { return notFound(id) }
        return AWSJSONError(keyring: error, arn: keyARN(id))
    }

    /// Changes a key under the keyring's lock, so the state checks in `change` and the change are one step.
    @discardableResult
    func update(_ key: KMSKey, _ change: (inout KMSKey) throws(AWSJSONError) -> Void) throws(AWSJSONError) -> KMSKey {
        do {
            return try keyring.update(key.id) { key in try change(&key) }
        } catch {
            throw kmsError(error, id: key.id)
        }
    }

    // MARK: Key-state rules

    /// Cryptographic operations need an enabled key.
    func requireEnabled(_ key: KMSKey) throws(AWSJSONError) {
        switch key.state {
        case .enabled: return
        case .disabled: throw AWSJSONError.disabled(keyARN(key.id))
        case .pendingDeletion: throw AWSJSONError.pendingDeletion(keyARN(key.id))
        }
    }

    func requireNotPendingDeletion(_ key: KMSKey) throws(AWSJSONError) {
        if key.state == .pendingDeletion { throw AWSJSONError.pendingDeletion(keyARN(key.id)) }
    }

    /// AWS managed keys belong to AWS: their key policy allows the account no changes, so AWS answers AccessDenied.
    func requireCustomerManaged(_ key: KMSKey, action: String) throws(AWSJSONError) {
        guard key.isAWSManaged else { return }
        throw AWSJSONError("AccessDeniedException", "User: arn:aws:iam::\(LockstepAccount.id):root is not authorized to perform: \(action) "
                       + "on resource: \(keyARN(key.id)) because no resource-based policy allows the \(action) action")
    }
}

/// The KMS errors beyond the JSON protocol's own.
extension AWSJSONError {
    static func disabled(_ arn: String) -> AWSJSONError { AWSJSONError("DisabledException", "\(arn) is disabled.") }

    static func pendingDeletion(_ arn: String) -> AWSJSONError { AWSJSONError("KMSInvalidStateException", "\(arn) is pending deletion.") }

    static func internalError(_ why: String) -> AWSJSONError {
        AWSJSONError("KMSInternalException", "The request was rejected because an internal exception occurred: \(why)", status: .internalServerError)
    }

    /// A keyring failure other than not-found (callers name the key for that one).
    init(keyring error: any Error, arn: String?) {
        switch error {
        case KeyringError.disabled(let id): self = .disabled(arn ?? id)
        case KeyringError.pendingDeletion(let id): self = .pendingDeletion(arn ?? id)
        case KeyringError.invalidCiphertext: self = AWSJSONError("InvalidCiphertextException", "The ciphertext is not valid for this key or encryption context.")
        case KeyringError.notFound(let id): self = AWSJSONError("NotFoundException", "Key '\(arn ?? id)' does not exist")
        default: self = .internalError("\(error)")
        }
    }
}
