import AWSJSON
import DynamoDBModel
import Store

/// BatchGetItem (≤ 100 keys) and BatchWriteItem (≤ 25 puts and deletes). Every request is processed: nothing is ever
/// returned as unprocessed. A BatchWriteItem is applied in one transaction.
extension DynamoDBService {
    func batchGetItem(_ request: JSONMembers) throws -> [String: JSONValue] {
        let tables = try requestItems(request)
        var responses: [String: JSONValue] = [:]
        var total = 0
        var reads: [(TableCatalog.Entry, [Item], ProjectionExpression?)] = []
        for (name, json) in tables {
            guard case .object(let members) = json else { throw AWSJSONError.wrongType("RequestItems", "an object of objects") }
            let entry = JSONMembers(members: members)
            let table = try catalog.table(name)
            guard let keysJSON = entry["Keys"], case .array(let keyList) = keysJSON else { throw AWSJSONError.missing("Keys") }
            if keyList.isEmpty { throw AWSJSONError.constraint("Keys", "[]", "Member must have length greater than or equal to 1") }
            var keys: [Item] = []
            var seen = Set<StoredItemKey>()
            for json in keyList {
                let key = try ItemCodec.item(json, member: "Keys")
                try table.definition.keySchema.validateKey(key)
                guard seen.insert(Self.storedKey(key, table.definition.keySchema)).inserted else {
                    throw AWSJSONError.validation("Provided list of item keys contains duplicates")
                }
                keys.append(key)
            }
            total += keys.count
            var expressions = try RequestExpressions(entry)
            let projection = try expressions.projection()
            try expressions.finish(usedExpressions: expressions.usesExpressions)
            reads.append((table, keys, projection))
        }
        if total > 100 { throw AWSJSONError.validation("Too many items requested for the BatchGetItem call") }
        for (table, keys, projection) in reads {
            var items: [JSONValue] = []
            for key in keys {
                let stored = Self.storedKey(key, table.definition.keySchema)
                guard let body = try catalog.store.item(in: table.stored, key: stored) else { continue }
                let item = try table.sealer.open(body, key: stored)
                items.append(ItemCodec.json(projection?.apply(item) ?? item))
            }
            responses[table.stored.name] = .array(items)
        }
        return ["Responses": .object(responses), "UnprocessedKeys": .object([:])]
    }

    func batchWriteItem(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let tables = try requestItems(request)
        var writes: [(table: StoredTable, key: StoredItemKey, write: ItemWrite)] = []
        var seen = Set<[UInt8]>()
        for (name, json) in tables {
            guard case .array(let list) = json else { throw AWSJSONError.wrongType("RequestItems", "an object of lists") }
            if list.isEmpty || list.count > 25 {
                throw AWSJSONError.constraint("RequestItems", "{\(name)=...}", "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
            }
            let table = try catalog.table(name)
            let schema = table.definition.keySchema
            for element in list {
                guard case .object(let members) = element else { throw AWSJSONError.wrongType("RequestItems", "a list of objects") }
                let write = JSONMembers(members: members)
                let put = try write.object("PutRequest")
                let delete = try write.object("DeleteRequest")
                let key: StoredItemKey
                let change: ItemWrite
                switch (put, delete) {
                case (let put?, nil):
                    let item = try ItemCodec.item(put["Item"], member: "Item")
                    try schema.validateItemKey(item)
                    if ItemCodec.size(item) > ItemCodec.maxItemSize { throw DynamoDBErrors.itemTooLarge }
                    key = Self.storedKey(item, schema)
                    change = .put(try table.sealer.seal(item, key: key))
                case (nil, let delete?):
                    let item = try ItemCodec.item(delete["Key"], member: "Key")
                    try schema.validateKey(item)
                    key = Self.storedKey(item, schema)
                    change = .delete
                default:
                    throw AWSJSONError.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                }
                var identity = Array(name.utf8) + [0]
                identity += withUnsafeBytes(of: UInt32(key.hash.count).bigEndian, Array.init) + key.hash + key.range
                guard seen.insert(identity).inserted else { throw AWSJSONError.validation("Provided list of item keys contains duplicates") }
                writes.append((table.stored, key, change))
            }
        }
        if writes.count > 25 { throw AWSJSONError.validation("Too many items requested for the BatchWriteItem call") }
        try await catalog.store.writeItems(writes)
        return ["UnprocessedItems": .object([:])]
    }

    /// `RequestItems`: table name → that table's requests; at least one table.
    private func requestItems(_ request: JSONMembers) throws(AWSJSONError) -> [String: JSONValue] {
        guard let json = request["RequestItems"] else { throw AWSJSONError.missing("RequestItems") }
        guard case .object(let tables) = json else { throw AWSJSONError.wrongType("RequestItems", "an object") }
        if tables.isEmpty { throw AWSJSONError.constraint("RequestItems", "{}", "Member must have length greater than or equal to 1") }
        for name in tables.keys where name.count < 3 || name.count > 255 || name.range(of: Self.tableNamePattern, options: .regularExpression) == nil {
            throw AWSJSONError.validation("1 validation error detected: Value '\(name)' at 'requestItems' failed to satisfy constraint: "
                                          + "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
                                          + "Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
        }
        return tables
    }
}
