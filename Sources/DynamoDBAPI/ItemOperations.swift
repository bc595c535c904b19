import AWSJSON
import DynamoDBModel
import Store

/// PutItem, GetItem, DeleteItem, UpdateItem. A write's condition is evaluated inside the transaction that applies it
/// (`TableStore.writeItem`), on the item as the previous write left it: of N racing conditional writers, exactly as
/// many win as the condition allows.
extension DynamoDBService {
    func putItem(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let schema = table.definition.keySchema
        let item = try ItemCodec.item(request["Item"], member: "Item")
        try schema.validateItemKey(item)
        if ItemCodec.size(item) > ItemCodec.maxItemSize { throw DynamoDBErrors.itemTooLarge }
        var expressions = try RequestExpressions(request)
        let condition = try expressions.condition()
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let returnValues = try Self.returnValues(request, allowed: ["NONE", "ALL_OLD"])
        let returnOnFailure = try Self.returnValuesOnConditionCheckFailure(request)
        let key = Self.storedKey(item, schema)
        let sealer = table.sealer
        let body = try sealer.seal(item, key: key)
        let needsOld = condition != nil || returnValues == "ALL_OLD" || Self.wantsCapacity(request)
        let old: Item? = try await catalog.store.writeItem(in: table.stored, key: key) { current in
            // The item being replaced is opened only if something looks at it.
            let old = needsOld ? try current.map { try sealer.open($0, key: key) } : nil
            try Self.check(condition, old, returnOnFailure)
            return (.put(body), old)
        }
        var result = capacity(request, table, units: Self.writeUnits(item, old))
        if returnValues == "ALL_OLD", let old { result["Attributes"] = ItemCodec.json(old) }
        return result
    }

    func getItem(_ request: JSONMembers) throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let key = try ItemCodec.item(request["Key"], member: "Key")
        try table.definition.keySchema.validateKey(key)
        var expressions = try RequestExpressions(request)
        let projection = try expressions.projection()
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let consistent = try request.bool("ConsistentRead") ?? false
        let stored = Self.storedKey(key, table.definition.keySchema)
        guard let body = try catalog.store.item(in: table.stored, key: stored) else {
            return capacity(request, table, units: consistent ? 1 : 0.5)
        }
        let item = try table.sealer.open(body, key: stored)
        var result = capacity(request, table, units: Self.readUnits(item, consistent: consistent))
        result["Item"] = ItemCodec.json(projection?.apply(item) ?? item)
        return result
    }

    func deleteItem(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let key = try ItemCodec.item(request["Key"], member: "Key")
        try table.definition.keySchema.validateKey(key)
        var expressions = try RequestExpressions(request)
        let condition = try expressions.condition()
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let returnValues = try Self.returnValues(request, allowed: ["NONE", "ALL_OLD"])
        let returnOnFailure = try Self.returnValuesOnConditionCheckFailure(request)
        let stored = Self.storedKey(key, table.definition.keySchema)
        let sealer = table.sealer
        let needsOld = condition != nil || returnValues == "ALL_OLD" || Self.wantsCapacity(request)
        let (old, removed): (Item?, Bool) = try await catalog.store.writeItem(in: table.stored, key: stored) { current in
            guard let current else {
                try Self.check(condition, nil, returnOnFailure)
                return (.keep, (nil, false))
            }
            let old = needsOld ? try sealer.open(current, key: stored) : nil
            try Self.check(condition, old, returnOnFailure)
            return (.delete, (old, true))
        }
        // A Terraform lock is released only by the DeleteItem that removed it (request summary).
        if removed { AWSJSONRequestNotes.current?.removedItem = true }
        var result = capacity(request, table, units: Self.writeUnits(nil, old))
        if returnValues == "ALL_OLD", let old { result["Attributes"] = ItemCodec.json(old) }
        return result
    }

    /// Applies the update to the item (or to a new item of just the key) and stores the result, if the condition holds.
    func updateItem(_ request: JSONMembers) async throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let schema = table.definition.keySchema
        let key = try ItemCodec.item(request["Key"], member: "Key")
        try schema.validateKey(key)
        var expressions = try RequestExpressions(request)
        let update = try expressions.update()
        let condition = try expressions.condition()
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let returnValues = try Self.returnValues(request, allowed: ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
        let returnOnFailure = try Self.returnValuesOnConditionCheckFailure(request)
        let touched = update?.updatedTopLevelNames ?? []
        if let keyName = schema.attributes.map(\.name).first(where: touched.contains) {
            throw DynamoDBErrors.invalid("Cannot update attribute \(keyName). This attribute is part of the key")
        }
        let stored = Self.storedKey(key, schema)
        let sealer = table.sealer
        let (old, new): (Item?, Item) = try await catalog.store.writeItem(in: table.stored, key: stored) { current in
            let old = try current.map { try sealer.open($0, key: stored) }
            try Self.check(condition, old, returnOnFailure)
            var new = old ?? key
            try update?.apply(to: &new)
            if ItemCodec.size(new) > ItemCodec.maxItemSize { throw DynamoDBErrors.itemTooLarge }
            return (.put(try sealer.seal(new, key: stored)), (old, new))
        }
        var result = capacity(request, table, units: Self.writeUnits(new, old))
        let updatedOnly: (Item) -> Item = { item in item.filter { touched.contains($0.key) } }
        let attributes: Item? = switch returnValues {
        case "ALL_OLD": old
        case "ALL_NEW": new
        case "UPDATED_OLD": old.map(updatedOnly)
        case "UPDATED_NEW": updatedOnly(new)
        default: nil
        }
        if let attributes, !attributes.isEmpty { result["Attributes"] = ItemCodec.json(attributes) }
        return result
    }

    // MARK: Shared

    /// The failed condition's error; with `ReturnValuesOnConditionCheckFailure: ALL_OLD`, it carries the item.
    static func check(_ condition: ConditionExpression?, _ old: Item?, _ returnOnFailure: Bool) throws(AWSJSONError) {
        guard let condition, !condition.evaluate(old ?? [:]) else { return }
        var error = DynamoDBErrors.conditionalCheckFailed()
        if returnOnFailure, let old { error.extra["Item"] = ItemCodec.json(old) }
        throw error
    }

    static func returnValues(_ request: JSONMembers, allowed: [String]) throws(AWSJSONError) -> String {
        let value = try request.enumeration("ReturnValues", ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"]) ?? "NONE"
        guard allowed.contains(value) else { throw AWSJSONError.validation("ReturnValues can only be ALL_OLD or NONE") }
        return value
    }

    static func returnValuesOnConditionCheckFailure(_ request: JSONMembers) throws(AWSJSONError) -> Bool {
        try request.enumeration("ReturnValuesOnConditionCheckFailure", ["ALL_OLD", "NONE"]) == "ALL_OLD"
    }

    /// The key's attributes as the table store's byte key (DynamoDB's key order).
    static func storedKey(_ item: Item, _ schema: KeySchema) -> StoredItemKey {
        StoredItemKey(hash: item[schema.hash.name]?.keyBytes ?? [], range: schema.range.flatMap { item[$0.name]?.keyBytes } ?? [])
    }

    static func wantsCapacity(_ request: JSONMembers) -> Bool {
        guard let mode = try? request.enumeration("ReturnConsumedCapacity", ["INDEXES", "TOTAL", "NONE"]) else { return false }
        return mode != "NONE"
    }

    /// `ConsumedCapacity` when `ReturnConsumedCapacity` asks for it (TOTAL or INDEXES; there are no indexes).
    func capacity(_ request: JSONMembers, _ table: TableCatalog.Entry, units: Double) -> [String: JSONValue] {
        guard let mode = try? request.enumeration("ReturnConsumedCapacity", ["INDEXES", "TOTAL", "NONE"]), mode != "NONE" else { return [:] }
        var consumed: [String: JSONValue] = ["TableName": .string(table.stored.name), "CapacityUnits": .double(units)]
        if mode == "INDEXES" { consumed["Table"] = .object(["CapacityUnits": .double(units)]) }
        return ["ConsumedCapacity": .object(consumed)]
    }

    /// One write unit per KB of the larger of the old and new item, at least one.
    static func writeUnits(_ new: Item?, _ old: Item?) -> Double {
        let size = max(new.map(ItemCodec.size) ?? 0, old.map(ItemCodec.size) ?? 0)
        return Double(max(1, (size + 1023) / 1024))
    }

    /// One read unit per 4 KB read strongly, half that eventually consistent.
    static func readUnits(_ item: Item, consistent: Bool) -> Double {
        let units = Double(max(1, (ItemCodec.size(item) + 4095) / 4096))
        return consistent ? units : units / 2
    }
}
