import AWSJSON
import DynamoDBModel
import Foundation

/// What Lockstep keeps of a table besides its items: the document stored as the table's description in the table
/// store, and its rendering as DynamoDB's `TableDescription`.
struct TableDefinition: Codable, Sendable {
    struct Tag: Codable, Sendable, Equatable {
        var key: String
        var value: String
    }

    var keySchema: KeySchema
    /// As the request gave them, in order (DescribeTable repeats them).
    var attributeDefinitions: [KeyAttribute]
    var billingMode: String
    var readCapacityUnits: Int
    var writeCapacityUnits: Int
    var billingModeChangedMillis: Int64?
    var tableId: String
    var tableClass: String
    var deletionProtection: Bool
    var timeToLiveAttribute: String?
    var timeToLiveEnabled: Bool
    var tags: [Tag]

    static let provisioned = "PROVISIONED"
    static let payPerRequest = "PAY_PER_REQUEST"

    func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    static func decode(_ bytes: [UInt8]) throws -> TableDefinition { try JSONDecoder().decode(TableDefinition.self, from: Data(bytes)) }

    /// DynamoDB's `TableDescription`.
    func description(name: String, arn: String, createdMillis: Int64, status: String, itemCount: Int64, sizeBytes: Int64) -> JSONValue {
        var members: [String: JSONValue] = [
            "TableName": .string(name),
            "TableArn": .string(arn),
            "TableId": .string(tableId),
            "TableStatus": .string(status),
            "CreationDateTime": .timestamp(createdMillis),
            "KeySchema": .array(keySchema.attributes.enumerated().map { index, attribute in
                .object(["AttributeName": .string(attribute.name), "KeyType": .string(index == 0 ? "HASH" : "RANGE")])
            }),
            "AttributeDefinitions": .array(attributeDefinitions.map {
                .object(["AttributeName": .string($0.name), "AttributeType": .string($0.type.rawValue)])
            }),
            "ProvisionedThroughput": .object([
                "NumberOfDecreasesToday": .int(0),
                "ReadCapacityUnits": .int(Int64(readCapacityUnits)),
                "WriteCapacityUnits": .int(Int64(writeCapacityUnits)),
            ]),
            "ItemCount": .int(itemCount),
            "TableSizeBytes": .int(sizeBytes),
            "DeletionProtectionEnabled": .bool(deletionProtection),
            "TableClassSummary": .object(["TableClass": .string(tableClass)]),
        ]
        if billingMode == Self.payPerRequest || billingModeChangedMillis != nil {
            var summary: [String: JSONValue] = ["BillingMode": .string(billingMode)]
            if let billingModeChangedMillis, billingMode == Self.payPerRequest {
                summary["LastUpdateToPayPerRequestDateTime"] = .timestamp(billingModeChangedMillis)
            }
            members["BillingModeSummary"] = .object(summary)
        }
        return .object(members)
    }
}
