import Foundation
import HTTPTypes
import KeyService
import NIOCore

/// Answers AWS KMS JSON requests (X-Amz-Target: TrentService.<Operation>, application/x-amz-json-1.1).
/// Authentication happens before (see `S3Service.handleKMS`); this layer parses, validates and runs one operation.
final class KMSService: Sendable {
    let keyring: Keyring
    let region: String

    static let contentType = "application/x-amz-json-1.1"
    static let algorithm = "SYMMETRIC_DEFAULT"

    init(keyring: Keyring, region: String) {
        self.keyring = keyring
        self.region = region
    }

    /// `target` is the whole X-Amz-Target value, e.g. `TrentService.CreateKey`.
    func handle(target: String, body: [UInt8]) -> S3Response {
        do {
            let request = try KMSRequest(body: body)
            return Self.json(try run(String(target.dropFirst("TrentService.".count)), request))
        } catch {
            return Self.render(error)
        }
    }

    private func run(_ operation: String, _ request: KMSRequest) throws(KMSError) -> [String: JSONValue]? {
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
        default: throw KMSError("UnknownOperationException", "Lockstep does not implement TrentService.\(operation).")
        }
    }

    // MARK: Responses

    /// A success: the members as a JSON object, or an empty body for operations that return nothing.
    static func json(_ members: [String: JSONValue]?) -> S3Response {
        var response = S3Response(status: .ok)
        response.set("Content-Type", contentType)
        if let members { response.body = .bytes(ByteBuffer(bytes: JSONValue.object(members).bytes)) }
        return response
    }

    /// `{"__type": "...", "message": "..."}`, the JSON protocol's error shape; clients read the code from `__type`.
    static func render(_ error: KMSError) -> S3Response {
        var response = S3Response(status: error.status)
        response.set("Content-Type", contentType)
        let body: JSONValue = .object(["__type": .string(error.type), "message": .string(error.message)])
        response.body = .bytes(ByteBuffer(bytes: body.bytes))
        return response
    }

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
    func resolve(_ reference: String) throws(KMSError) -> KMSKey {
        if reference.hasPrefix("arn:") {
            let fields = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[1] == "aws", fields[3] == Substring(region) else { throw notFound(reference) }
        }
        do {
            let key = aliasName(in: reference) == Keyring.awsS3Alias ? try keyring.awsManagedS3Key() : try keyring.resolve(reference)
            guard key.isServiceKey != true else { throw notFound(reference) }
            return key
        } catch let error as KMSError {
            throw error
        } catch KeyringError.notFound {
            throw notFound(reference)
        } catch {
            throw KMSError(keyring: error, arn: nil)
        }
    }

    func notFound(_ reference: String) -> KMSError {
        if let alias = aliasName(in: reference) {
            return KMSError("NotFoundException", "Alias \(reference.hasPrefix("arn:") ? reference : aliasARN(alias)) is not found.")
        }
        return KMSError("NotFoundException", "Key '\(reference.hasPrefix("arn:") ? reference : keyARN(reference))' does not exist")
    }

    /// Turns a keyring failure about key `id` into the KMS error AWS gives.
    func kmsError(_ error: any Error, id: String) -> KMSError {
        if let error = error as? KMSError { return error }
        if case KeyringError.notFound = error { return notFound(id) }
        return KMSError(keyring: error, arn: keyARN(id))
    }

    /// Changes a key under the keyring's lock, so the state checks in `change` and the change are one step.
    @discardableResult
    func update(_ key: KMSKey, _ change: (inout KMSKey) throws(KMSError) -> Void) throws(KMSError) -> KMSKey {
        do {
            return try keyring.update(key.id) { key in try change(&key) }
        } catch {
            throw kmsError(error, id: key.id)
        }
    }

    // MARK: Key-state rules

    /// Cryptographic operations need an enabled key.
    func requireEnabled(_ key: KMSKey) throws(KMSError) {
        switch key.state {
        case .enabled: return
        case .disabled: throw KMSError.disabled(keyARN(key.id))
        case .pendingDeletion: throw KMSError.pendingDeletion(keyARN(key.id))
        }
    }

    func requireNotPendingDeletion(_ key: KMSKey) throws(KMSError) {
        if key.state == .pendingDeletion { throw KMSError.pendingDeletion(keyARN(key.id)) }
    }

    /// AWS managed keys belong to AWS: their key policy allows the account no changes, so AWS answers AccessDenied.
    func requireCustomerManaged(_ key: KMSKey, action: String) throws(KMSError) {
        guard key.isAWSManaged else { return }
        throw KMSError("AccessDeniedException", "User: arn:aws:iam::\(LockstepAccount.id):root is not authorized to perform: \(action) "
                       + "on resource: \(keyARN(key.id)) because no resource-based policy allows the \(action) action")
    }
}

/// One KMS error: its `__type`, message and HTTP status (400 for everything the caller can fix).
struct KMSError: Error {
    var type: String
    var message: String
    var status: HTTPResponse.Status

    init(_ type: String, _ message: String, status: HTTPResponse.Status = .badRequest) {
        self.type = type; self.message = message; self.status = status
    }

    static func serialization(_ message: String) -> KMSError { KMSError("SerializationException", message) }

    static func validation(_ message: String) -> KMSError { KMSError("ValidationException", message) }

    /// AWS names members in lower camel case in validation messages (`keyId`, `pendingWindowInDays`).
    static func memberName(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }

    static func missing(_ name: String) -> KMSError {
        validation("1 validation error detected: Value null at '\(memberName(name))' failed to satisfy constraint: Member must not be null")
    }

    static func constraint(_ name: String, _ value: String, _ rule: String) -> KMSError {
        validation("1 validation error detected: Value '\(value)' at '\(memberName(name))' failed to satisfy constraint: \(rule)")
    }

    static func wrongType(_ name: String, _ expected: String) -> KMSError {
        serialization("\(name) must be \(expected).")
    }

    static func disabled(_ arn: String) -> KMSError { KMSError("DisabledException", "\(arn) is disabled.") }

    static func pendingDeletion(_ arn: String) -> KMSError { KMSError("KMSInvalidStateException", "\(arn) is pending deletion.") }

    static func internalError(_ why: String) -> KMSError {
        KMSError("KMSInternalException", "The request was rejected because an internal exception occurred: \(why)", status: .internalServerError)
    }

    /// A keyring failure other than not-found (callers name the key for that one).
    init(keyring error: any Error, arn: String?) {
        switch error {
        case KeyringError.disabled(let id): self = .disabled(arn ?? id)
        case KeyringError.pendingDeletion(let id): self = .pendingDeletion(arn ?? id)
        case KeyringError.invalidCiphertext: self = KMSError("InvalidCiphertextException", "The ciphertext is not valid for this key or encryption context.")
        case KeyringError.notFound(let id): self = KMSError("NotFoundException", "Key '\(arn ?? id)' does not exist")
        default: self = .internalError("\(error)")
        }
    }
}
