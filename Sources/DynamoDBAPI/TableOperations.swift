import AWSJSON
import DynamoDBModel
import Foundation
import Store

/// CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable. Tables are ACTIVE as soon as they exist: there is
/// no provisioning to wait for.
extension DynamoDBService {
    static let tableNamePattern = "^[a-zA-Z0-9_.-]+$"

    func tableName(_ request: JSONMembers) throws(AWSJSONError) -> String {
        try request.string("TableName", required: true, length: 3...255, pattern: Self.tableNamePattern)!
    }

    func createTable(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let name = try tableName(request)
        let schema = try Self.keySchema(request)
        let definitions = try Self.attributeDefinitions(request)
        let keyNames = schema.attributes.map(\.name)
        let missing = keyNames.filter { key in !definitions.contains { $0.name == key } }
        if !missing.isEmpty {
            throw DynamoDBErrors.invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [\(missing.joined(separator: ", "))], "
                                         + "AttributeDefinitions: [\(definitions.map(\.name).joined(separator: ", "))]")
        }
        if definitions.count != keyNames.count {
            throw DynamoDBErrors.invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        }
        for index in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] where request[index] != nil {
            throw AWSJSONError.validation("Lockstep does not support secondary indexes (\(index)); see docs/dynamodb.md.")
        }
        var typed = schema
        typed.hash.type = definitions.first { $0.name == schema.hash.name }!.type
        if let range = schema.range { typed.range?.type = definitions.first { $0.name == range.name }!.type }
        let billing = try Self.billing(request, current: nil)
        let tags = try Self.tags(request, member: "Tags") ?? []
        let definition = TableDefinition(keySchema: typed, attributeDefinitions: definitions, billingMode: billing.mode,
                                         readCapacityUnits: billing.read, writeCapacityUnits: billing.write, billingModeChangedMillis: nil,
                                         tableId: UUID().uuidString.lowercased(), tableClass: try request.enumeration("TableClass", Self.tableClasses) ?? "STANDARD",
                                         deletionProtection: try request.bool("DeletionProtectionEnabled") ?? false,
                                         timeToLiveAttribute: nil, timeToLiveEnabled: false, tags: tags)
        if try catalog.lookup(name) != nil { throw DynamoDBErrors.tableInUse(name) }
        let stored = try await catalog.store.createTable(name: name, description: definition.encoded(), wrappedKey: try catalog.newWrappedKey(for: name),
                                                         createdMillis: now())
        catalog.forget(name)
        return ["TableDescription": definition.description(name: name, arn: tableARN(name), createdMillis: stored.createdMillis,
                                                           status: "ACTIVE", itemCount: 0, sizeBytes: 0)]
    }

    func describeTable(_ request: JSONMembers) throws -> [String: JSONValue] {
        let name = try tableName(request)
        guard let table = try catalog.lookup(name) else { throw DynamoDBErrors.tableNotFound(name) }
        return ["Table": try describe(table, status: "ACTIVE")]
    }

    func describe(_ table: TableCatalog.Entry, status: String) throws -> JSONValue {
        let statistics = try catalog.store.statistics(table: table.stored)
        return table.definition.description(name: table.stored.name, arn: tableARN(table.stored.name), createdMillis: table.stored.createdMillis,
                                            status: status, itemCount: statistics.items, sizeBytes: statistics.bytes)
    }

    func listTables(_ request: JSONMembers) throws -> [String: JSONValue] {
        let limit = try request.int("Limit", range: 1...100) ?? 100
        let start = try request.string("ExclusiveStartTableName", length: 3...255, pattern: Self.tableNamePattern)
        let names = try catalog.store.tableNames(after: start, limit: limit + 1)
        var result: [String: JSONValue] = ["TableNames": .array(names.prefix(limit).map { .string($0) })]
        if names.count > limit, let last = names.prefix(limit).last { result["LastEvaluatedTableName"] = .string(last) }
        return result
    }

    func deleteTable(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let name = try tableName(request)
        guard let table = try catalog.lookup(name) else { throw DynamoDBErrors.tableNotFound(name) }
        if table.definition.deletionProtection {
            throw AWSJSONError.validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        }
        let description = try describe(table, status: "DELETING")
        _ = try await catalog.store.deleteTable(named: name)
        catalog.forget(name)
        return ["TableDescription": description]
    }

    /// Billing mode, throughput, table class and deletion protection are recorded; there is nothing to provision.
    func updateTable(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let name = try tableName(request)
        guard let table = try catalog.lookup(name) else { throw DynamoDBErrors.tableNotFound(name) }
        for index in ["GlobalSecondaryIndexUpdates", "ReplicaUpdates"] where request[index] != nil {
            throw AWSJSONError.validation("Lockstep does not support \(index); see docs/dynamodb.md.")
        }
        let tableClass = try request.enumeration("TableClass", Self.tableClasses)
        let protection = try request.bool("DeletionProtectionEnabled")
        let now = self.now
        return ["TableDescription": try await change(table) { definition in
            if request["BillingMode"] != nil || request["ProvisionedThroughput"] != nil {
                let billing = try Self.billing(request, current: definition)
                if billing.mode != definition.billingMode { definition.billingModeChangedMillis = now() }
                (definition.billingMode, definition.readCapacityUnits, definition.writeCapacityUnits) = (billing.mode, billing.read, billing.write)
            }
            if let tableClass { definition.tableClass = tableClass }
            if let protection { definition.deletionProtection = protection }
        }]
    }

    /// Changes a table's definition inside the write that stores it (so concurrent changes never undo each other) and
    /// answers with the table's new description.
    func change(_ table: TableCatalog.Entry, _ transform: @escaping @Sendable (inout TableDefinition) throws -> Void) async throws -> JSONValue {
        let name = table.stored.name
        _ = try await catalog.store.updateTable(named: name) { bytes in
            var definition = try TableDefinition.decode(bytes)
            try transform(&definition)
            bytes = definition.encoded()
        }
        catalog.forget(name)
        return try describe(try catalog.table(name), status: "ACTIVE")
    }

    static let tableClasses = ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]

    // MARK: Request members

    static func keySchema(_ request: JSONMembers) throws(AWSJSONError) -> KeySchema {
        guard let elements = try request.objects("KeySchema") else { throw AWSJSONError.missing("KeySchema") }
        guard (1...2).contains(elements.count) else {
            throw AWSJSONError.constraint("KeySchema", "\(elements.count) elements", "Member must have length less than or equal to 2")
        }
        var attributes: [(name: String, type: String)] = []
        for element in elements {
            let name = try element.string("AttributeName", required: true, length: 1...255)!
            let type = try element.enumeration("KeyType", ["HASH", "RANGE"])
            guard let type else { throw AWSJSONError.missing("KeyType") }
            attributes.append((name, type))
        }
        guard attributes[0].type == "HASH" else { throw AWSJSONError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type") }
        if attributes.count == 2 {
            guard attributes[1].type == "RANGE" else { throw AWSJSONError.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type") }
            guard attributes[0].name != attributes[1].name else {
                throw AWSJSONError.validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
            }
        }
        // Types come from AttributeDefinitions; string until then.
        return KeySchema(hash: KeyAttribute(name: attributes[0].name, type: .string),
                         range: attributes.count == 2 ? KeyAttribute(name: attributes[1].name, type: .string) : nil)
    }

    static func attributeDefinitions(_ request: JSONMembers) throws(AWSJSONError) -> [KeyAttribute] {
        guard let elements = try request.objects("AttributeDefinitions") else { throw AWSJSONError.missing("AttributeDefinitions") }
        var definitions: [KeyAttribute] = []
        for element in elements {
            let name = try element.string("AttributeName", required: true, length: 1...255)!
            guard let type = try element.enumeration("AttributeType", ["S", "N", "B"]) else { throw AWSJSONError.missing("AttributeType") }
            if definitions.contains(where: { $0.name == name }) {
                throw AWSJSONError.validation("Cannot have two attributes with the same name")
            }
            definitions.append(KeyAttribute(name: name, type: ScalarAttributeType(rawValue: type)!))
        }
        return definitions
    }

    /// `BillingMode` and `ProvisionedThroughput`, checked together as DynamoDB does.
    static func billing(_ request: JSONMembers, current: TableDefinition?) throws(AWSJSONError) -> (mode: String, read: Int, write: Int) {
        let mode = try request.enumeration("BillingMode", [TableDefinition.provisioned, TableDefinition.payPerRequest])
            ?? current?.billingMode ?? TableDefinition.provisioned
        let throughput = try request.object("ProvisionedThroughput")
        if mode == TableDefinition.payPerRequest {
            if throughput != nil {
                throw DynamoDBErrors.invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            }
            return (mode, 0, 0)
        }
        guard let throughput else {
            if let current, current.billingMode == TableDefinition.provisioned { return (mode, current.readCapacityUnits, current.writeCapacityUnits) }
            throw DynamoDBErrors.invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
        }
        guard let read = try throughput.int("ReadCapacityUnits", range: 1...Int(Int32.max)),
              let write = try throughput.int("WriteCapacityUnits", range: 1...Int(Int32.max)) else {
            throw DynamoDBErrors.invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
        }
        return (mode, read, write)
    }

    static func tags(_ request: JSONMembers, member: String) throws(AWSJSONError) -> [TableDefinition.Tag]? {
        guard let elements = try request.objects(member) else { return nil }
        var tags: [TableDefinition.Tag] = []
        for element in elements {
            let key = try element.string("Key", required: true, length: 1...128)!
            let value = try element.string("Value", required: true, length: 0...256)!
            tags.removeAll { $0.key == key }
            tags.append(TableDefinition.Tag(key: key, value: value))
        }
        return tags
    }
}
