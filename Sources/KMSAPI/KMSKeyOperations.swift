import AWSJSON
import Foundation
import KeyService

/// Key lifecycle: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, Schedule/CancelKeyDeletion and rotation.
extension KMSService {
    static let keyUsages = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
    static let customerMasterKeySpecs = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                                         "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2"]
    static let keySpecs = customerMasterKeySpecs + ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"]
    static let origins = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]
    static let dayMillis: Int64 = 86_400_000
    static let defaultRotationPeriod = 365

    func keyId(_ request: JSONMembers) throws(AWSJSONError) -> String {
        try request.string("KeyId", required: true, length: 1...2048)!
    }

    /// KeyMetadata as CreateKey and DescribeKey return it.
    func metadata(_ key: KMSKey) -> JSONValue {
        var fields: [String: JSONValue] = [
            "AWSAccountId": .string(LockstepAccount.id),
            "KeyId": .string(key.id),
            "Arn": .string(keyARN(key.id)),
            "CreationDate": .timestamp(key.createdMillis),
            "Enabled": .bool(key.state == .enabled),
            "Description": .string(key.description),
            "KeyUsage": .string("ENCRYPT_DECRYPT"),
            "KeyState": .string(key.state.rawValue),
            "Origin": .string("AWS_KMS"),
            "KeyManager": .string(key.keyManager ?? "CUSTOMER"),
            "CustomerMasterKeySpec": .string(Self.algorithm),
            "KeySpec": .string(Self.algorithm),
            "EncryptionAlgorithms": .array([.string(Self.algorithm)]),
            "MultiRegion": .bool(false),
        ]
        if key.state == .pendingDeletion, let deletion = key.deletionMillis { fields["DeletionDate"] = .timestamp(deletion) }
        return .object(fields)
    }

    func createKey(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let description = try request.string("Description", length: 0...8192) ?? ""
        // Accepted so tools that always send a policy work; Lockstep has one account and enforces no key policies.
        _ = try request.string("Policy", length: 1...131_072)
        _ = try request.bool("BypassPolicyLockoutSafetyCheck")
        let usage = try request.enumeration("KeyUsage", Self.keyUsages)
        let keySpec = try request.enumeration("KeySpec", Self.keySpecs)
        let masterKeySpec = try request.enumeration("CustomerMasterKeySpec", Self.customerMasterKeySpecs)
        let origin = try request.enumeration("Origin", Self.origins)
        let customKeyStore = try request.string("CustomKeyStoreId", length: 1...64)
        let xksKey = try request.string("XksKeyId", length: 1...128)
        let multiRegion = try request.bool("MultiRegion")
        let tags = try self.tags(request)
        if keySpec != nil && masterKeySpec != nil {
            throw .validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
        }
        if let spec = keySpec ?? masterKeySpec, spec != Self.algorithm {
            throw AWSJSONError("UnsupportedOperationException", "Lockstep supports only SYMMETRIC_DEFAULT keys, not \(spec).")
        }
        if let usage, usage != "ENCRYPT_DECRYPT" {
            throw .validation("KeyUsage \(usage) is not compatible with KeySpec SYMMETRIC_DEFAULT")
        }
        if let origin, origin != "AWS_KMS" {
            throw AWSJSONError("UnsupportedOperationException", "Lockstep makes all key material itself; Origin \(origin) is not supported.")
        }
        if customKeyStore != nil || xksKey != nil {
            throw AWSJSONError("UnsupportedOperationException", "Lockstep has no custom key stores.")
        }
        if multiRegion == true {
            throw AWSJSONError("UnsupportedOperationException", "Lockstep keys are single-Region; MultiRegion is not supported.")
        }
        do {
            let key = try keyring.createKey(description: description, tags: tags, nowMillis: keyring.now())
            return ["KeyMetadata": metadata(key)]
        } catch {
            throw AWSJSONError(keyring: error, arn: nil)
        }
    }

    /// `Tags: [{TagKey, TagValue}]`, with AWS's limits; keys are unique and `aws:` is AWS's own prefix.
    func tags(_ request: JSONMembers) throws(AWSJSONError) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in try request.objects("Tags") ?? [] {
            let key = try tag.string("TagKey", required: true, length: 1...128)!
            let value = try tag.string("TagValue", required: true, length: 0...256)!
            if key.hasPrefix("aws:") { throw AWSJSONError("TagException", "Tag keys beginning with aws: are reserved for AWS use.") }
            if tags[key] != nil { throw AWSJSONError("TagException", "Duplicate tag keys") }
            tags[key] = value
        }
        return tags
    }

    func describeKey(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        return ["KeyMetadata": metadata(try resolve(try keyId(request)))]
    }

    func listKeys(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let limit = try request.int("Limit", range: 1...1000) ?? 100
        let marker = try request.string("Marker", length: 1...1024)
        // Creation order; the marker holds the zero-padded creation time and id of the last key shown.
        let keys = keyring.keys.filter { $0.isServiceKey != true }.sorted { ($0.createdMillis, $0.id) < ($1.createdMillis, $1.id) }
        let page = try KMSMarker.page(keys, marker: marker, limit: limit) { Self.padded($0.createdMillis) + "/" + $0.id }
        var fields = KMSMarker.fields(next: page.next)
        fields["Keys"] = .array(page.items.map { .object(["KeyId": .string($0.id), "KeyArn": .string(keyARN($0.id))]) })
        return fields
    }

    static func padded(_ n: Int64) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    func enableKey(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        try setState(request, .enabled, action: "kms:EnableKey")
    }

    func disableKey(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        try setState(request, .disabled, action: "kms:DisableKey")
    }

    /// EnableKey and DisableKey: a customer managed key not pending deletion.
    private func setState(_ request: JSONMembers, _ state: KMSKey.State, action: String) throws(AWSJSONError) -> [String: JSONValue]? {
        let key = try resolve(try keyId(request))
        try requireCustomerManaged(key, action: action)
        try update(key) { (key: inout KMSKey) throws(AWSJSONError) in
            try requireNotPendingDeletion(key)
            key.state = state
        }
        return nil
    }

    /// The key is deleted, with its aliases and material, once the window has passed on the keyring's clock.
    func scheduleKeyDeletion(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try keyId(request)
        let days = try request.int("PendingWindowInDays", range: 7...30) ?? 30
        let key = try resolve(reference)
        try requireCustomerManaged(key, action: "kms:ScheduleKeyDeletion")
        let deletion = keyring.now() + Int64(days) * Self.dayMillis
        let updated = try update(key) { (key: inout KMSKey) throws(AWSJSONError) in
            try requireNotPendingDeletion(key)
            key.state = .pendingDeletion
            key.deletionMillis = deletion
        }
        return ["KeyId": .string(keyARN(updated.id)), "DeletionDate": .timestamp(deletion),
                "KeyState": .string(updated.state.rawValue), "PendingWindowInDays": .int(Int64(days))]
    }

    /// A cancelled deletion leaves the key disabled, as at AWS.
    func cancelKeyDeletion(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let key = try resolve(try keyId(request))
        try requireCustomerManaged(key, action: "kms:CancelKeyDeletion")
        let arn = keyARN(key.id)
        try update(key) { (key: inout KMSKey) throws(AWSJSONError) in
            guard key.state == .pendingDeletion else { throw AWSJSONError("KMSInvalidStateException", "\(arn) is not pending deletion.") }
            key.state = .disabled
            key.deletionMillis = nil
        }
        return ["KeyId": .string(arn)]
    }

    func enableKeyRotation(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try keyId(request)
        let period = try request.int("RotationPeriodInDays", range: 90...2560) ?? Self.defaultRotationPeriod
        let key = try resolve(reference)
        try requireCustomerManaged(key, action: "kms:EnableKeyRotation")
        try update(key) { (key: inout KMSKey) throws(AWSJSONError) in
            try requireEnabled(key)
            key.rotationEnabled = true
            key.rotationPeriodInDays = period
        }
        return nil
    }

    func disableKeyRotation(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let key = try resolve(try keyId(request))
        try requireCustomerManaged(key, action: "kms:DisableKeyRotation")
        try update(key) { (key: inout KMSKey) throws(AWSJSONError) in
            try requireEnabled(key)
            key.rotationEnabled = false
        }
        return nil
    }

    func getKeyRotationStatus(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let key = try resolve(try keyId(request))
        var fields: [String: JSONValue] = ["KeyId": .string(key.id), "KeyRotationEnabled": .bool(key.rotationEnabled)]
        if key.rotationEnabled {
            fields["RotationPeriodInDays"] = .int(Int64(key.rotationPeriodInDays ?? Self.defaultRotationPeriod))
        }
        return fields
    }

    /// New key material now; later wraps use it, older ciphertexts still decrypt.
    func rotateKeyOnDemand(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let key = try resolve(try keyId(request))
        try requireCustomerManaged(key, action: "kms:RotateKeyOnDemand")
        try requireEnabled(key)
        do {
            try keyring.rotate(key.id, nowMillis: keyring.now())
        } catch {
            throw kmsError(error, id: key.id)
        }
        return ["KeyId": .string(key.id)]
    }

    /// Every material generation after the first is a rotation (Lockstep rotates only on demand). With
    /// `IncludeKeyMaterial: ALL_KEY_MATERIAL` the original material is listed too, and each entry says which is current.
    func listKeyRotations(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try keyId(request)
        let all = try request.enumeration("IncludeKeyMaterial", ["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"]) == "ALL_KEY_MATERIAL"
        let limit = try request.int("Limit", range: 1...1000) ?? 100
        let marker = try request.string("Marker", length: 1...1024)
        let key = try resolve(reference)
        let materials = all ? key.materials : Array(key.materials.dropFirst())
        let page = try KMSMarker.page(materials, marker: marker, limit: limit) { Self.padded(Int64($0.version)) }
        var fields = KMSMarker.fields(next: page.next)
        fields["Rotations"] = .array(page.items.map { material in
            var entry: [String: JSONValue] = ["KeyId": .string(key.id)]
            if material.version != key.materials.first?.version {
                entry["RotationDate"] = .timestamp(material.createdMillis)
                entry["RotationType"] = .string("ON_DEMAND")
            }
            if all { entry["KeyMaterialState"] = .string(material.version == key.currentMaterialVersion ? "CURRENT" : "NON_CURRENT") }
            return .object(entry)
        })
        return fields
    }
}
