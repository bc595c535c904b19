import AWSJSON
import DynamoDBModel

/// Time to live and tags: recorded and reported. Expiry by TTL is not enforced (docs/dynamodb.md).
extension DynamoDBService {
    func describeTimeToLive(_ request: JSONMembers) throws -> [String: JSONValue] {
        let name = try tableName(request)
        guard let table = try catalog.lookup(name) else { throw DynamoDBErrors.tableNotFound(name) }
        var description: [String: JSONValue] = ["TimeToLiveStatus": .string(table.definition.timeToLiveEnabled ? "ENABLED" : "DISABLED")]
        if let attribute = table.definition.timeToLiveAttribute, table.definition.timeToLiveEnabled {
            description["AttributeName"] = .string(attribute)
        }
        return ["TimeToLiveDescription": .object(description)]
    }

    func updateTimeToLive(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let name = try tableName(request)
        guard let table = try catalog.lookup(name) else { throw DynamoDBErrors.tableNotFound(name) }
        guard let specification = try request.object("TimeToLiveSpecification", required: true) else { throw AWSJSONError.missing("TimeToLiveSpecification") }
        guard let enabled = try specification.bool("Enabled") else { throw AWSJSONError.missing("Enabled") }
        let attribute = try specification.string("AttributeName", required: true, length: 1...255)!
        _ = try await change(table) { definition in
            if enabled == definition.timeToLiveEnabled {
                throw AWSJSONError.validation(enabled ? "TimeToLive is already enabled" : "TimeToLive is already disabled")
            }
            if !enabled, definition.timeToLiveAttribute != attribute {
                throw AWSJSONError.validation("The attribute name does not match the current TimeToLive attribute name")
            }
            definition.timeToLiveEnabled = enabled
            definition.timeToLiveAttribute = attribute
        }
        return ["TimeToLiveSpecification": .object(["Enabled": .bool(enabled), "AttributeName": .string(attribute)])]
    }

    func tagResource(_ request: JSONMembers) async throws -> [String: JSONValue]? {
        let table = try taggedTable(request)
        guard let tags = try Self.tags(request, member: "Tags") else { throw AWSJSONError.missing("Tags") }
        _ = try await change(table) { definition in
            for tag in tags {
                definition.tags.removeAll { $0.key == tag.key }
                definition.tags.append(tag)
            }
            if definition.tags.count > 50 { throw AWSJSONError.validation("One or more parameter values were invalid: Too many tags") }
        }
        return nil
    }

    func untagResource(_ request: JSONMembers) async throws -> [String: JSONValue]? {
        let table = try taggedTable(request)
        guard let keys = try request.strings("TagKeys") else { throw AWSJSONError.missing("TagKeys") }
        _ = try await change(table) { definition in definition.tags.removeAll { keys.contains($0.key) } }
        return nil
    }

    func listTagsOfResource(_ request: JSONMembers) throws -> [String: JSONValue] {
        let table = try taggedTable(request)
        return ["Tags": .array(table.definition.tags.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) })]
    }

    /// `ResourceArn`: a table of this account and region.
    private func taggedTable(_ request: JSONMembers) throws -> TableCatalog.Entry {
        let arn = try request.string("ResourceArn", required: true, length: 1...1283)!
        let prefix = tableARN("")
        guard arn.hasPrefix(prefix), !arn.dropFirst(prefix.count).contains("/") else {
            throw AWSJSONError.validation("Invalid TableArn: Invalid ResourceArn provided as input \(arn)")
        }
        guard let table = try catalog.lookup(String(arn.dropFirst(prefix.count))) else {
            throw AWSJSONError("ResourceNotFoundException", "Requested resource not found: ResourcArn: \(arn) not found")
        }
        return table
    }
}
