import AWSJSON
import Foundation
import KeyService

/// CreateAlias, DeleteAlias and ListAliases.
extension KMSService {
    static let aliasPattern = "^[a-zA-Z0-9:/_-]+$"

    /// An alias name as CreateAlias and DeleteAlias take it: `alias/NAME`, never in the `alias/aws/` space AWS keeps.
    func aliasName(_ request: JSONMembers) throws(AWSJSONError) -> String {
        let name = try request.string("AliasName", required: true, length: 1...256, pattern: Self.aliasPattern)!
        guard name.hasPrefix("alias/"), name.count > "alias/".count else {
            throw .validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        }
        if name.hasPrefix("alias/aws/") {
            throw AWSJSONError("NotAuthorizedException", "Aliases that begin with alias/aws/ are reserved for AWS managed keys.")
        }
        if name.contains(":") { throw .validation("\(name) contains invalid characters for an alias") }
        return name
    }

    func createAlias(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let name = try aliasName(request)
        let target = try request.string("TargetKeyId", required: true, length: 1...2048)!
        if aliasName(in: target) != nil { throw .validation("Aliases must refer to keys. Not aliases") }
        let key = try resolve(target)
        try requireCustomerManaged(key, action: "kms:CreateAlias")
        try requireNotPendingDeletion(key)
        let added: Bool
        do { added = try keyring.addAlias(name, to: key.id) } catch { throw kmsError(error, id: key.id) }
        guard added else { throw AWSJSONError("AlreadyExistsException", "An alias with the name \(aliasARN(name)) already exists") }
        return nil
    }

    func deleteAlias(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let name = try aliasName(request)
        guard keyring.aliases[name] != nil else { throw notFound(name) }
        do { try keyring.setAlias(name, to: nil) } catch { throw AWSJSONError(keyring: error, arn: nil) }
        return nil
    }

    /// Sorted by name. `alias/aws/s3` is listed before its key exists, without a target, as AWS lists predefined aliases.
    func listAliases(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue]? {
        let reference = try request.string("KeyId", length: 1...2048)
        let limit = try request.int("Limit", range: 1...100) ?? 50
        let marker = try request.string("Marker", length: 1...1024)
        let keyId = try reference.map { (reference: String) throws(AWSJSONError) in try resolve(reference).id }
        var aliases = keyring.aliasEntries
        if let keyId {
            aliases = aliases.filter { $0.targetKeyId == keyId }
        } else if !aliases.contains(where: { $0.name == Keyring.awsS3Alias }) {
            aliases.append(KMSAlias(name: Keyring.awsS3Alias, targetKeyId: ""))
            aliases.sort { $0.name < $1.name }
        }
        let page = try KMSMarker.page(aliases, marker: marker, limit: limit) { $0.name }
        var fields = KMSMarker.fields(next: page.next)
        fields["Aliases"] = .array(page.items.map { alias in
            var entry: [String: JSONValue] = ["AliasName": .string(alias.name), "AliasArn": .string(aliasARN(alias.name))]
            if !alias.targetKeyId.isEmpty { entry["TargetKeyId"] = .string(alias.targetKeyId) }
            if let created = alias.createdMillis { entry["CreationDate"] = .timestamp(created) }
            if let updated = alias.lastUpdatedMillis { entry["LastUpdatedDate"] = .timestamp(updated) }
            return .object(entry)
        })
        return fields
    }
}
