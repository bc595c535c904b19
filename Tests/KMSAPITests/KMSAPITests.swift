import AWSJSON
import Foundation
import FrontDoors
import HTTPTypes
import KeyService
import KMSAPI
import LockstepCrypto
import LockstepTestSupport
import SigV4
import Testing

// MARK: - KMS request helpers

/// A fresh keyring and KMS front door per test, in a temp directory removed afterwards.
final class KMSTestServer: @unchecked Sendable {
    // Unchecked: every member is a constant of a Sendable type or only used from the test's own task.
    let directory: String
    let clock: ManualClock
    let keyring: Keyring
    let frontDoor: AWSJSONFrontDoor<KMSService>
    let signer = RequestSigner()

    init() throws {
        directory = NSTemporaryDirectory() + "lockstep-kmstests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = ManualClock()
        let clock = self.clock
        keyring = try Keyring(dataDirectory: directory, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment),
                              now: { clock.nowMillis() })
        frontDoor = AWSJSONFrontDoor(service: KMSService(keyring: keyring, region: "us-east-1"),
                                     authenticator: Authenticator(credentials: [testAccessKey: testSecretKey], nowMillis: { clock.nowMillis() }),
                                     logger: .init(label: "kms-tests"))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Sends one request through the KMS front door and collects the whole response.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
              payload: PayloadStyle = .sha256, auth: AuthStyle = .signed, signingService: String = "kms") async -> Reply {
        let request = signer.request(method, path, headers: headers, body: body, payload: payload, auth: auth, date: clock.date,
                                     signingService: signingService)
        return await Reply.collect(await frontDoor.handle(request))
    }

    /// One TrentService call signed for `kms`, the way the SDKs send it.
    func kms(_ operation: String, _ members: [String: Any] = [:], auth: AuthStyle = .signed, service: String = "kms",
             payload: PayloadStyle = .sha256, extraHeaders: [(String, String)] = []) async -> Reply {
        let body = Array(try! JSONSerialization.data(withJSONObject: members))
        return await kmsRaw(operation, body: body, auth: auth, service: service, payload: payload, extraHeaders: extraHeaders)
    }

    func kmsRaw(_ operation: String, body: [UInt8], auth: AuthStyle = .signed, service: String = "kms",
                payload: PayloadStyle = .sha256, extraHeaders: [(String, String)] = []) async -> Reply {
        let headers = [("X-Amz-Target", "TrentService." + operation), ("Content-Type", "application/x-amz-json-1.1")] + extraHeaders
        return await send(.post, "/", headers: headers, body: body, payload: payload, auth: auth, signingService: service)
    }

    /// A call that must succeed; its JSON members.
    @discardableResult
    func kmsOK(_ operation: String, _ members: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async -> [String: Any] {
        let reply = await kms(operation, members)
        #expect(reply.status == 200, "\(operation): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        expectKMSHeaders(reply, sourceLocation: sourceLocation)
        return reply.json
    }

    func createKey(_ members: [String: Any] = [:]) async -> String {
        let metadata = await kmsOK("CreateKey", members)["KeyMetadata"] as? [String: Any]
        return metadata?["KeyId"] as? String ?? "missing"
    }
}

extension Reply {
    var json: [String: Any] {
        guard !body.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

func expectKMSHeaders(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.header("Content-Type") == "application/x-amz-json-1.1", sourceLocation: sourceLocation)
    let requestId = reply.header("x-amz-request-id")
    #expect(requestId != nil && !requestId!.isEmpty, sourceLocation: sourceLocation)
    #expect(reply.header("x-amzn-RequestId") == requestId, sourceLocation: sourceLocation)
}

/// A KMS JSON error: `{"__type": type, "message": ...}`, never S3 XML.
func expectKMSError(_ reply: Reply, _ type: String, status: Int = 400, message: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status), body \(reply.text)", sourceLocation: sourceLocation)
    expectKMSHeaders(reply, sourceLocation: sourceLocation)
    let json = reply.json
    #expect(json["__type"] as? String == type, "body \(reply.text)", sourceLocation: sourceLocation)
    let text = json["message"] as? String ?? ""
    #expect(!text.isEmpty, "no message in \(reply.text)", sourceLocation: sourceLocation)
    if let message { #expect(text.contains(message), "message \(text)", sourceLocation: sourceLocation) }
}

func keyARN(_ id: String) -> String { "arn:aws:kms:us-east-1:000000000000:key/\(id)" }
func aliasARN(_ alias: String) -> String { "arn:aws:kms:us-east-1:000000000000:\(alias)" }
let dayMillis: Int64 = 86_400_000

// MARK: - Tests

@Suite("KMS API")
struct KMSAPITests {
    @Test func createKeyReturnsFullMetadataAndDescribeKeyFindsItByEveryName() async throws {
        let s3 = try KMSTestServer()
        let created = await s3.kmsOK("CreateKey", ["Description": "terraform state", "KeySpec": "SYMMETRIC_DEFAULT",
                                                   "KeyUsage": "ENCRYPT_DECRYPT", "Tags": [["TagKey": "team", "TagValue": "infra"]]])
        let metadata = try #require(created["KeyMetadata"] as? [String: Any])
        let id = try #require(metadata["KeyId"] as? String)
        #expect(metadata["AWSAccountId"] as? String == "000000000000")
        #expect(metadata["Arn"] as? String == keyARN(id))
        #expect(metadata["CreationDate"] as? Double == Double(ManualClock.start) / 1000)
        #expect(metadata["Enabled"] as? Bool == true)
        #expect(metadata["Description"] as? String == "terraform state")
        #expect(metadata["KeyUsage"] as? String == "ENCRYPT_DECRYPT")
        #expect(metadata["KeyState"] as? String == "Enabled")
        #expect(metadata["Origin"] as? String == "AWS_KMS")
        #expect(metadata["KeyManager"] as? String == "CUSTOMER")
        #expect(metadata["CustomerMasterKeySpec"] as? String == "SYMMETRIC_DEFAULT")
        #expect(metadata["KeySpec"] as? String == "SYMMETRIC_DEFAULT")
        #expect(metadata["EncryptionAlgorithms"] as? [String] == ["SYMMETRIC_DEFAULT"])
        #expect(metadata["MultiRegion"] as? Bool == false)
        #expect(metadata["DeletionDate"] == nil)
        #expect(try s3.keyring.key(id).tags == ["team": "infra"])

        await s3.kmsOK("CreateAlias", ["AliasName": "alias/state", "TargetKeyId": id])
        for name in [id, keyARN(id), "alias/state", aliasARN("alias/state")] {
            let described = await s3.kmsOK("DescribeKey", ["KeyId": name])["KeyMetadata"] as? [String: Any]
            #expect(described?["KeyId"] as? String == id, "DescribeKey \(name)")
            #expect(described?["Arn"] as? String == keyARN(id))
        }
        // An empty CreateKey makes a symmetric key with an empty description.
        let plain = await s3.kmsOK("CreateKey")["KeyMetadata"] as? [String: Any]
        #expect(plain?["Description"] as? String == "")
        #expect(plain?["KeyId"] as? String != id)
    }

    @Test func createKeyRefusesWhatLockstepDoesNotSupport() async throws {
        let s3 = try KMSTestServer()
        expectKMSError(await s3.kms("CreateKey", ["KeySpec": "RSA_2048"]), "UnsupportedOperationException", message: "RSA_2048")
        expectKMSError(await s3.kms("CreateKey", ["CustomerMasterKeySpec": "HMAC_256"]), "UnsupportedOperationException")
        expectKMSError(await s3.kms("CreateKey", ["KeySpec": "AES_999"]), "ValidationException",
                       message: "Value 'AES_999' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set")
        expectKMSError(await s3.kms("CreateKey", ["KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"]),
                       "ValidationException", message: "KeySpec and CustomerMasterKeySpec")
        expectKMSError(await s3.kms("CreateKey", ["KeyUsage": "SIGN_VERIFY"]), "ValidationException", message: "SIGN_VERIFY")
        expectKMSError(await s3.kms("CreateKey", ["KeyUsage": "DECRYPT_ONLY"]), "ValidationException", message: "'keyUsage'")
        expectKMSError(await s3.kms("CreateKey", ["Origin": "EXTERNAL"]), "UnsupportedOperationException")
        expectKMSError(await s3.kms("CreateKey", ["MultiRegion": true]), "UnsupportedOperationException")
        expectKMSError(await s3.kms("CreateKey", ["CustomKeyStoreId": "cks-1234567890abcdef0"]), "UnsupportedOperationException")
        expectKMSError(await s3.kms("CreateKey", ["Description": String(repeating: "d", count: 8193)]), "ValidationException",
                       message: "Member must have length less than or equal to 8192")
        expectKMSError(await s3.kms("CreateKey", ["Tags": [["TagKey": "a", "TagValue": "1"], ["TagKey": "a", "TagValue": "2"]]]), "TagException")
        expectKMSError(await s3.kms("CreateKey", ["Tags": [["TagKey": "aws:x", "TagValue": "1"]]]), "TagException")
        expectKMSError(await s3.kms("CreateKey", ["Tags": [["TagKey": "a"]]]), "ValidationException", message: "'tagValue'")
        expectKMSError(await s3.kms("CreateKey", ["Tags": "a=b"]), "SerializationException")
        #expect(s3.keyring.keys.isEmpty, "no refused CreateKey made a key")
        // A policy is accepted (tools send one) though Lockstep enforces none.
        #expect(await s3.kms("CreateKey", ["Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"]).status == 200)
    }

    @Test func listKeysPaginatesInCreationOrderAndHidesTheServiceKey() async throws {
        let s3 = try KMSTestServer()
        let service = try s3.keyring.serviceKey()
        var ids: [String] = []
        for _ in 0..<5 {
            ids.append(await s3.createKey())
            s3.clock.advance(seconds: 1)
        }
        var seen: [String] = []
        var marker: String?
        var pages = 0
        repeat {
            var members: [String: Any] = ["Limit": 2]
            if let marker { members["Marker"] = marker }
            let page = await s3.kmsOK("ListKeys", members)
            let keys = page["Keys"] as? [[String: Any]] ?? []
            for key in keys {
                let id = key["KeyId"] as? String ?? ""
                #expect(key["KeyArn"] as? String == keyARN(id))
                seen.append(id)
            }
            let truncated = page["Truncated"] as? Bool
            marker = page["NextMarker"] as? String
            #expect(truncated == (marker != nil))
            pages += 1
        } while marker != nil && pages < 10
        #expect(seen == ids)
        #expect(pages == 3)
        #expect(!seen.contains(service.id))

        // The service key does not exist as far as the KMS API is concerned.
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": service.id]), "NotFoundException", message: "Key '\(keyARN(service.id))' does not exist")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": service.id, "Plaintext": Base64.encode([1])]), "NotFoundException")
        expectKMSError(await s3.kms("DisableKey", ["KeyId": service.id]), "NotFoundException")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/svc", "TargetKeyId": service.id]), "NotFoundException")
        #expect(try s3.keyring.key(service.id).state == .enabled)

        expectKMSError(await s3.kms("ListKeys", ["Limit": 0]), "ValidationException", message: "greater than or equal to 1")
        expectKMSError(await s3.kms("ListKeys", ["Limit": 1001]), "ValidationException", message: "less than or equal to 1000")
        expectKMSError(await s3.kms("ListKeys", ["Marker": "not a marker!"]), "InvalidMarkerException")
        let all = await s3.kmsOK("ListKeys")
        #expect((all["Keys"] as? [Any])?.count == 5)
        #expect(all["Truncated"] as? Bool == false)
        #expect(all["NextMarker"] == nil)
    }

    @Test func aliasesAreCreatedListedAndDeletedWithAWSRules() async throws {
        let s3 = try KMSTestServer()
        let first = await s3.createKey()
        let second = await s3.createKey()

        // Before the aws/s3 key exists its alias is listed without a target, as AWS lists predefined aliases.
        let initial = await s3.kmsOK("ListAliases")["Aliases"] as? [[String: Any]] ?? []
        #expect(initial.map { $0["AliasName"] as? String } == ["alias/aws/s3"])
        #expect(initial.first?["TargetKeyId"] == nil)
        #expect(initial.first?["AliasArn"] as? String == aliasARN("alias/aws/s3"))

        await s3.kmsOK("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": first])
        s3.clock.advance(seconds: 60)
        await s3.kmsOK("CreateAlias", ["AliasName": "alias/other", "TargetKeyId": keyARN(second)])
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": second]), "AlreadyExistsException",
                       message: "An alias with the name \(aliasARN("alias/app")) already exists")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/aws/mine", "TargetKeyId": first]), "NotAuthorizedException")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "app2", "TargetKeyId": first]), "ValidationException", message: "alias/")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/", "TargetKeyId": first]), "ValidationException")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/sp ace", "TargetKeyId": first]), "ValidationException",
                       message: "regular expression pattern")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/a:b", "TargetKeyId": first]), "ValidationException")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/x", "TargetKeyId": "alias/app"]), "ValidationException")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/x", "TargetKeyId": "0b5e0b5e-0000-4000-8000-000000000000"]),
                       "NotFoundException", message: "Key '\(keyARN("0b5e0b5e-0000-4000-8000-000000000000"))' does not exist")
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/x"]), "ValidationException", message: "'targetKeyId'")
        #expect(s3.keyring.aliases["alias/app"] == first)

        let listed = await s3.kmsOK("ListAliases")["Aliases"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["AliasName"] as? String } == ["alias/app", "alias/aws/s3", "alias/other"])
        let app = try #require(listed.first)
        #expect(app["TargetKeyId"] as? String == first)
        #expect(app["AliasArn"] as? String == aliasARN("alias/app"))
        #expect(app["CreationDate"] as? Double == Double(ManualClock.start) / 1000)
        #expect(app["LastUpdatedDate"] as? Double == Double(ManualClock.start) / 1000)
        #expect(listed.last?["CreationDate"] as? Double == Double(ManualClock.start + 60_000) / 1000)

        let filtered = await s3.kmsOK("ListAliases", ["KeyId": keyARN(second)])["Aliases"] as? [[String: Any]] ?? []
        #expect(filtered.map { $0["AliasName"] as? String } == ["alias/other"])

        // One alias a page.
        let page1 = await s3.kmsOK("ListAliases", ["Limit": 1])
        #expect(page1["Truncated"] as? Bool == true)
        let page2 = await s3.kmsOK("ListAliases", ["Limit": 2, "Marker": page1["NextMarker"] as? String ?? ""])
        #expect((page2["Aliases"] as? [[String: Any]])?.map { $0["AliasName"] as? String } == ["alias/aws/s3", "alias/other"])
        #expect(page2["Truncated"] as? Bool == false)
        expectKMSError(await s3.kms("ListAliases", ["Limit": 101]), "ValidationException")

        await s3.kmsOK("DeleteAlias", ["AliasName": "alias/app"])
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": "alias/app"]), "NotFoundException",
                       message: "Alias \(aliasARN("alias/app")) is not found.")
        expectKMSError(await s3.kms("DeleteAlias", ["AliasName": "alias/app"]), "NotFoundException", message: "is not found")
        expectKMSError(await s3.kms("DeleteAlias", ["AliasName": "alias/aws/s3"]), "NotAuthorizedException")
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": aliasARN("alias/nope")]), "NotFoundException",
                       message: "Alias \(aliasARN("alias/nope")) is not found.")
        // The key itself is untouched, and the name is free again.
        #expect(await s3.kms("DescribeKey", ["KeyId": first]).status == 200)
        await s3.kmsOK("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": second])
        #expect(s3.keyring.aliases["alias/app"] == second)
    }

    @Test func disabledKeysRefuseCryptographyUntilEnabled() async throws {
        let s3 = try KMSTestServer()
        let id = await s3.createKey()
        let ciphertext = await s3.kmsOK("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1, 2, 3])])["CiphertextBlob"] as? String ?? ""

        #expect(await s3.kmsOK("DisableKey", ["KeyId": id]).isEmpty)
        let metadata = await s3.kmsOK("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any]
        #expect(metadata?["Enabled"] as? Bool == false)
        #expect(metadata?["KeyState"] as? String == "Disabled")
        let disabled = "\(keyARN(id)) is disabled."
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1])]), "DisabledException", message: disabled)
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": ciphertext]), "DisabledException", message: disabled)
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"]), "DisabledException")
        expectKMSError(await s3.kms("GenerateDataKeyWithoutPlaintext", ["KeyId": id, "KeySpec": "AES_256"]), "DisabledException")
        expectKMSError(await s3.kms("RotateKeyOnDemand", ["KeyId": id]), "DisabledException")
        expectKMSError(await s3.kms("EnableKeyRotation", ["KeyId": id]), "DisabledException")

        await s3.kmsOK("EnableKey", ["KeyId": id])
        let plaintext = await s3.kmsOK("Decrypt", ["CiphertextBlob": ciphertext])["Plaintext"] as? String
        #expect(plaintext == Base64.encode([1, 2, 3]))
        expectKMSError(await s3.kms("EnableKey", ["KeyId": "alias/none"]), "NotFoundException")
        expectKMSError(await s3.kms("DisableKey", [:]), "ValidationException", message: "Value null at 'keyId'")
    }

    @Test func rotationAddsMaterialAndOldCiphertextsStillDecrypt() async throws {
        let s3 = try KMSTestServer()
        let id = await s3.createKey()
        let status = await s3.kmsOK("GetKeyRotationStatus", ["KeyId": id])
        #expect(status["KeyRotationEnabled"] as? Bool == false)
        #expect(status["RotationPeriodInDays"] == nil)

        await s3.kmsOK("EnableKeyRotation", ["KeyId": id])
        let enabled = await s3.kmsOK("GetKeyRotationStatus", ["KeyId": keyARN(id)])
        #expect(enabled["KeyRotationEnabled"] as? Bool == true)
        #expect(enabled["RotationPeriodInDays"] as? Int == 365)
        await s3.kmsOK("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 180])
        #expect(await s3.kmsOK("GetKeyRotationStatus", ["KeyId": id])["RotationPeriodInDays"] as? Int == 180)
        expectKMSError(await s3.kms("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 89]), "ValidationException",
                       message: "'rotationPeriodInDays'")
        await s3.kmsOK("DisableKeyRotation", ["KeyId": id])
        let disabled = await s3.kmsOK("GetKeyRotationStatus", ["KeyId": id])
        #expect(disabled["KeyRotationEnabled"] as? Bool == false)
        #expect(disabled["RotationPeriodInDays"] == nil)

        #expect((await s3.kmsOK("ListKeyRotations", ["KeyId": id])["Rotations"] as? [Any])?.isEmpty == true)
        let context = ["purpose": "test"]
        let before = await s3.kmsOK("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([9, 9]), "EncryptionContext": context])
        s3.clock.advance(seconds: 3600)
        let rotated = await s3.kmsOK("RotateKeyOnDemand", ["KeyId": id])
        #expect(rotated["KeyId"] as? String == id)
        #expect(try s3.keyring.key(id).currentMaterialVersion == 2)

        let rotations = await s3.kmsOK("ListKeyRotations", ["KeyId": id])
        let entries = rotations["Rotations"] as? [[String: Any]] ?? []
        #expect(entries.count == 1)
        #expect(entries.first?["KeyId"] as? String == id)
        #expect(entries.first?["RotationType"] as? String == "ON_DEMAND")
        #expect(entries.first?["RotationDate"] as? Double == Double(ManualClock.start + 3_600_000) / 1000)
        #expect(rotations["Truncated"] as? Bool == false)
        let everything = await s3.kmsOK("ListKeyRotations", ["KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"])
        let states = (everything["Rotations"] as? [[String: Any]] ?? []).map { $0["KeyMaterialState"] as? String }
        #expect(states == ["NON_CURRENT", "CURRENT"])

        // The old ciphertext decrypts with the old material; new ones use the new material.
        let old = await s3.kmsOK("Decrypt", ["CiphertextBlob": before["CiphertextBlob"] as? String ?? "", "EncryptionContext": context])
        #expect(old["Plaintext"] as? String == Base64.encode([9, 9]))
        let after = await s3.kmsOK("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([9, 9])])
        let blob = try #require(Base64.decode(after["CiphertextBlob"] as? String ?? ""))
        #expect(try s3.keyring.unwrap(blob).materialVersion == 2)

        // Rotations page like every list.
        s3.clock.advance(seconds: 1)
        await s3.kmsOK("RotateKeyOnDemand", ["KeyId": id])
        let first = await s3.kmsOK("ListKeyRotations", ["KeyId": id, "Limit": 1])
        #expect(first["Truncated"] as? Bool == true)
        let rest = await s3.kmsOK("ListKeyRotations", ["KeyId": id, "Marker": first["NextMarker"] as? String ?? ""])
        #expect((rest["Rotations"] as? [[String: Any]])?.first?["RotationDate"] as? Double == Double(ManualClock.start + 3_601_000) / 1000)
        expectKMSError(await s3.kms("ListKeyRotations", ["KeyId": id, "IncludeKeyMaterial": "SOME"]), "ValidationException")
        expectKMSError(await s3.kms("ListKeyRotations", [:]), "ValidationException")
    }

    @Test func scheduledDeletionHappensOnTheKeyringClock() async throws {
        let s3 = try KMSTestServer()
        let id = await s3.createKey()
        await s3.kmsOK("CreateAlias", ["AliasName": "alias/doomed", "TargetKeyId": id])
        let ciphertext = await s3.kmsOK("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([7])])["CiphertextBlob"] as? String ?? ""

        expectKMSError(await s3.kms("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 6]), "ValidationException",
                       message: "Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7")
        expectKMSError(await s3.kms("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 31]), "ValidationException",
                       message: "less than or equal to 30")
        expectKMSError(await s3.kms("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": "7"]), "SerializationException")
        expectKMSError(await s3.kms("CancelKeyDeletion", ["KeyId": id]), "KMSInvalidStateException", message: "is not pending deletion")

        // Default window: 30 days.
        let scheduled = await s3.kmsOK("ScheduleKeyDeletion", ["KeyId": "alias/doomed"])
        #expect(scheduled["KeyId"] as? String == keyARN(id))
        #expect(scheduled["KeyState"] as? String == "PendingDeletion")
        #expect(scheduled["PendingWindowInDays"] as? Int == 30)
        #expect(scheduled["DeletionDate"] as? Double == Double(ManualClock.start + 30 * dayMillis) / 1000)
        let metadata = await s3.kmsOK("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any]
        #expect(metadata?["KeyState"] as? String == "PendingDeletion")
        #expect(metadata?["Enabled"] as? Bool == false)
        #expect(metadata?["DeletionDate"] as? Double == Double(ManualClock.start + 30 * dayMillis) / 1000)

        let pending = "\(keyARN(id)) is pending deletion."
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1])]), "KMSInvalidStateException", message: pending)
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": ciphertext]), "KMSInvalidStateException", message: pending)
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 8]), "KMSInvalidStateException")
        expectKMSError(await s3.kms("ScheduleKeyDeletion", ["KeyId": id]), "KMSInvalidStateException", message: pending)
        expectKMSError(await s3.kms("EnableKey", ["KeyId": id]), "KMSInvalidStateException", message: pending)
        expectKMSError(await s3.kms("DisableKey", ["KeyId": id]), "KMSInvalidStateException", message: pending)
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/late", "TargetKeyId": id]), "KMSInvalidStateException")

        // Cancelling leaves the key disabled, as at AWS.
        let cancelled = await s3.kmsOK("CancelKeyDeletion", ["KeyId": id])
        #expect(cancelled["KeyId"] as? String == keyARN(id))
        let after = await s3.kmsOK("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any]
        #expect(after?["KeyState"] as? String == "Disabled")
        #expect(after?["DeletionDate"] == nil)

        // Seven days later, and not a moment before, the key is gone with its alias.
        let short = await s3.kmsOK("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(short["DeletionDate"] as? Double == Double(ManualClock.start + 7 * dayMillis) / 1000)
        s3.clock.advance(seconds: 7 * 86_400 - 1)
        #expect(await s3.kms("DescribeKey", ["KeyId": id]).status == 200)
        s3.clock.advance(seconds: 1)
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": id]), "NotFoundException", message: "Key '\(keyARN(id))' does not exist")
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": "alias/doomed"]), "NotFoundException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": ciphertext]), "NotFoundException")
        let keys = await s3.kmsOK("ListKeys")["Keys"] as? [[String: Any]] ?? []
        #expect(keys.isEmpty)
        let aliases = await s3.kmsOK("ListAliases")["Aliases"] as? [[String: Any]] ?? []
        #expect(!aliases.contains { $0["AliasName"] as? String == "alias/doomed" })
    }

    @Test func awsManagedKeyIsVisibleButNotChangeable() async throws {
        let s3 = try KMSTestServer()
        // DescribeKey on alias/aws/s3 brings the key into being, as at AWS.
        let metadata = await s3.kmsOK("DescribeKey", ["KeyId": "alias/aws/s3"])["KeyMetadata"] as? [String: Any]
        let id = try #require(metadata?["KeyId"] as? String)
        #expect(metadata?["KeyManager"] as? String == "AWS")
        #expect(try s3.keyring.awsManagedS3Key().id == id)
        #expect((await s3.kmsOK("ListKeys")["Keys"] as? [[String: Any]])?.map { $0["KeyId"] as? String } == [id])
        let aliases = await s3.kmsOK("ListAliases")["Aliases"] as? [[String: Any]] ?? []
        #expect(aliases.first { $0["AliasName"] as? String == "alias/aws/s3" }?["TargetKeyId"] as? String == id)
        #expect(await s3.kmsOK("GetKeyRotationStatus", ["KeyId": id])["KeyRotationEnabled"] as? Bool == true)

        for (operation, action) in [("DisableKey", "kms:DisableKey"), ("EnableKey", "kms:EnableKey"),
                                    ("ScheduleKeyDeletion", "kms:ScheduleKeyDeletion"), ("CancelKeyDeletion", "kms:CancelKeyDeletion"),
                                    ("EnableKeyRotation", "kms:EnableKeyRotation"), ("DisableKeyRotation", "kms:DisableKeyRotation"),
                                    ("RotateKeyOnDemand", "kms:RotateKeyOnDemand")] {
            expectKMSError(await s3.kms(operation, ["KeyId": "alias/aws/s3"]), "AccessDeniedException",
                           message: "is not authorized to perform: \(action) on resource: \(keyARN(id))")
        }
        expectKMSError(await s3.kms("CreateAlias", ["AliasName": "alias/mine", "TargetKeyId": id]), "AccessDeniedException")
        let key = try s3.keyring.key(id)
        #expect(key.state == .enabled && key.rotationEnabled && key.currentMaterialVersion == 1)

        // Its cryptography is open to the account, as AWS's key policy allows.
        let encrypted = await s3.kmsOK("Encrypt", ["KeyId": "alias/aws/s3", "Plaintext": Base64.encode([5])])
        #expect(encrypted["KeyId"] as? String == keyARN(id))
        #expect(await s3.kmsOK("Decrypt", ["CiphertextBlob": encrypted["CiphertextBlob"] as? String ?? ""])["Plaintext"] as? String == Base64.encode([5]))
    }

    @Test func encryptAndDecryptBindTheContextAndCheckTheKey() async throws {
        let s3 = try KMSTestServer()
        let id = await s3.createKey()
        let other = await s3.createKey()
        await s3.kmsOK("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id])
        let secret = testBytes(4096)
        let context = ["tenant": "a", "purpose": "backup"]
        let encrypted = await s3.kmsOK("Encrypt", ["KeyId": "alias/app", "Plaintext": Base64.encode(secret), "EncryptionContext": context,
                                                   "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "GrantTokens": ["ignored"]])
        #expect(encrypted["KeyId"] as? String == keyARN(id))
        #expect(encrypted["EncryptionAlgorithm"] as? String == "SYMMETRIC_DEFAULT")
        let blob = try #require(encrypted["CiphertextBlob"] as? String)
        #expect(Base64.decode(blob).map { !$0.isEmpty && $0.count <= 6144 } == true)

        for keyId: String? in [nil, id, keyARN(id), "alias/app", aliasARN("alias/app")] {
            var members: [String: Any] = ["CiphertextBlob": blob, "EncryptionContext": context]
            if let keyId { members["KeyId"] = keyId }
            let decrypted = await s3.kmsOK("Decrypt", members)
            #expect(decrypted["Plaintext"] as? String == Base64.encode(secret), "Decrypt with KeyId \(keyId ?? "none")")
            #expect(decrypted["KeyId"] as? String == keyARN(id))
            #expect(decrypted["EncryptionAlgorithm"] as? String == "SYMMETRIC_DEFAULT")
        }
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": context, "KeyId": other]), "IncorrectKeyException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": context, "KeyId": "alias/nope"]), "NotFoundException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": blob]), "InvalidCiphertextException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["tenant": "b", "purpose": "backup"]]),
                       "InvalidCiphertextException")
        var tampered = try #require(Base64.decode(blob))
        tampered[tampered.count - 1] ^= 1
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": Base64.encode(tampered), "EncryptionContext": context]), "InvalidCiphertextException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": Base64.encode(Array("not a ciphertext".utf8))]), "InvalidCiphertextException")
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": "%%%"]), "SerializationException")
        expectKMSError(await s3.kms("Decrypt", [:]), "ValidationException", message: "'ciphertextBlob'")

        // Ciphertexts of the hidden SSE-S3 key are not decryptable here.
        let serviceBlob = try s3.keyring.wrap(dataKey: [1, 2, 3], keyId: try s3.keyring.serviceKey().id)
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": Base64.encode(serviceBlob)]), "InvalidCiphertextException")

        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode(testBytes(4097))]), "ValidationException",
                       message: "Member must have length less than or equal to 4096")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": ""]), "ValidationException")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id]), "ValidationException", message: "Value null at 'plaintext'")
        expectKMSError(await s3.kms("Encrypt", ["Plaintext": Base64.encode([1])]), "ValidationException", message: "Value null at 'keyId'")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1]), "EncryptionContext": ["n": 1]]), "SerializationException")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"]),
                       "InvalidKeyUsageException")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": "alias/nope", "Plaintext": Base64.encode([1])]), "NotFoundException",
                       message: "Alias \(aliasARN("alias/nope")) is not found.")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": "arn:aws:kms:eu-west-1:000000000000:key/\(id)", "Plaintext": Base64.encode([1])]),
                       "NotFoundException", message: "eu-west-1")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": "arn:aws:kms:us-east-1:111111111111:key/\(id)", "Plaintext": Base64.encode([1])]),
                       "NotFoundException")
        expectKMSError(await s3.kms("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([1]), "DryRun": true]), "DryRunOperationException",
                       status: 412)
        expectKMSError(await s3.kms("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": context, "DryRun": true]), "DryRunOperationException",
                       status: 412)
    }

    @Test func generateDataKeyReturnsAWrappedRandomKey() async throws {
        let s3 = try KMSTestServer()
        let id = await s3.createKey()
        let context = ["bucket": "b"]
        for (members, length) in [(["KeySpec": "AES_256"], 32), (["KeySpec": "AES_128"], 16), (["NumberOfBytes": 1], 1), (["NumberOfBytes": 1024], 1024)] as [([String: Any], Int)] {
            var request = members
            request["KeyId"] = id
            request["EncryptionContext"] = context
            let generated = await s3.kmsOK("GenerateDataKey", request)
            let plaintext = try #require(Base64.decode(generated["Plaintext"] as? String ?? ""))
            #expect(plaintext.count == length)
            #expect(generated["KeyId"] as? String == keyARN(id))
            let decrypted = await s3.kmsOK("Decrypt", ["CiphertextBlob": generated["CiphertextBlob"] as? String ?? "", "EncryptionContext": context])
            #expect(decrypted["Plaintext"] as? String == Base64.encode(plaintext))
        }
        let a = await s3.kmsOK("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"])["Plaintext"] as? String
        let b = await s3.kmsOK("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"])["Plaintext"] as? String
        #expect(a != b)

        let hidden = await s3.kmsOK("GenerateDataKeyWithoutPlaintext", ["KeyId": id, "KeySpec": "AES_128"])
        #expect(hidden["Plaintext"] == nil)
        #expect(hidden["KeyId"] as? String == keyARN(id))
        let revealed = await s3.kmsOK("Decrypt", ["CiphertextBlob": hidden["CiphertextBlob"] as? String ?? ""])
        #expect(Base64.decode(revealed["Plaintext"] as? String ?? "")?.count == 16)

        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id]), "ValidationException", message: "number of bytes or key spec")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 32]), "ValidationException")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 0]), "ValidationException", message: "'numberOfBytes'")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1025]), "ValidationException")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1.5]), "SerializationException")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_512"]), "ValidationException", message: "'keySpec'")
        expectKMSError(await s3.kms("GenerateDataKey", ["KeySpec": "AES_256"]), "ValidationException", message: "'keyId'")
    }

    @Test func malformedRequestsAreJSONErrors() async throws {
        let s3 = try KMSTestServer()
        expectKMSError(await s3.kmsRaw("ListKeys", body: Array("{\"Limit\":".utf8)), "SerializationException")
        expectKMSError(await s3.kmsRaw("ListKeys", body: Array("[]".utf8)), "SerializationException")
        expectKMSError(await s3.kmsRaw("ListKeys", body: Array("\"x\"".utf8)), "SerializationException")
        expectKMSError(await s3.kmsRaw("ListKeys", body: [0xFF, 0xFE, 0x00]), "SerializationException")
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": 5]), "SerializationException")
        expectKMSError(await s3.kms("DescribeKey", ["KeyId": ""]), "ValidationException", message: "greater than or equal to 1")
        expectKMSError(await s3.kms("ListKeys", ["Limit": "10"]), "SerializationException")
        expectKMSError(await s3.kms("EnableKeyRotation", ["KeyId": "x", "RotationPeriodInDays": true]), "SerializationException")
        let deep = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        expectKMSError(await s3.kmsRaw("ListKeys", body: Array("{\"Limit\":".utf8) + deep + Array("}".utf8)), "SerializationException")
        expectKMSError(await s3.kms("GetKeyPolicy", ["KeyId": "x"]), "UnknownOperationException", message: "GetKeyPolicy")
        expectKMSError(await s3.kms("", [:]), "UnknownOperationException")
        expectKMSError(await s3.kmsRaw("ListKeys", body: Array(repeating: 0x20, count: (1 << 20) + 1)), "RequestEntityTooLargeException", status: 413)

        // An empty body is an empty request, and unknown members are ignored.
        #expect(await s3.kmsRaw("ListKeys", body: []).status == 200)
        #expect(await s3.kms("ListKeys", ["Unknown": ["nested": true]]).status == 200)
        // A null member counts as absent.
        #expect(await s3.kmsRaw("ListKeys", body: Array("{\"Limit\":null}".utf8)).status == 200)
    }

    @Test func authenticationFailuresAreKMSErrors() async throws {
        let s3 = try KMSTestServer()
        expectKMSError(await s3.kms("ListKeys", auth: .credentials(accessKey: "NOPE", secretKey: "x")), "UnrecognizedClientException",
                       message: "The security token included in the request is invalid.")
        let wrongSecret = await s3.kms("ListKeys", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"))
        expectKMSError(wrongSecret, "InvalidSignatureException", message: "The request signature we calculated does not match")
        #expect((wrongSecret.json["message"] as? String)?.contains("POST\n/\n") == true, "the canonical request helps debugging")
        expectKMSError(await s3.kms("ListKeys", auth: .anonymous), "MissingAuthenticationTokenException")
        expectKMSError(await s3.kms("ListKeys", service: "s3"), "InvalidSignatureException", message: "scoped to correct service: 'kms'")
        expectKMSError(await s3.kms("ListKeys", service: "sts"), "InvalidSignatureException", message: "scoped to correct service: 'kms'")
        expectKMSError(await s3.kms("ListKeys", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"), service: "sts"),
                       "InvalidSignatureException", message: "scoped to correct service: 'kms'")
        expectKMSError(await s3.kms("ListKeys", auth: .skewed(seconds: -3600)), "InvalidSignatureException", message: "Signature expired")
        expectKMSError(await s3.kms("ListKeys", auth: .skewed(seconds: 3600)), "InvalidSignatureException")
        // The body is covered by the signature.
        expectKMSError(await s3.kms("CreateKey", ["Description": "x"], payload: .wrongSHA256), "InvalidSignatureException")
        expectKMSError(await s3.kms("CreateKey", extraHeaders: [("x-amz-content-sha256", PayloadMode.unsignedPayload)]), "InvalidSignatureException")
        expectKMSError(await s3.kms("CreateKey", extraHeaders: [("x-amz-content-sha256", "xyz")]), "InvalidSignatureException")
        let garbled = await s3.send(.post, "/", headers: [("X-Amz-Target", "TrentService.ListKeys"), ("Authorization", "AWS4-HMAC-SHA256 Credential=AK")],
                                    body: Array("{}".utf8), auth: .anonymous)
        expectKMSError(garbled, "IncompleteSignatureException")
        #expect(s3.keyring.keys.isEmpty, "no unauthenticated CreateKey made a key")

        // A client that sends the body's hash in x-amz-content-sha256 is fine.
        let body = Array("{}".utf8)
        let hashed = await s3.kmsRaw("CreateKey", body: body, extraHeaders: [("x-amz-content-sha256", Digest.sha256(body).hexString)])
        #expect(hashed.status == 200, "\(hashed.text)")
    }
}
