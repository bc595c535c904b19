import AWSJSON
import DynamoDBModel
import Store

/// Query and Scan: pages in key order, at most `Limit` items evaluated and 1 MB read per page, as DynamoDB pages; the
/// filter applies after the limit, and `LastEvaluatedKey` says where the next page starts.
extension DynamoDBService {
    static let pageBytes = 1 << 20

    struct ReadPlan {
        var filter: ConditionExpression?
        var projection: ProjectionExpression?
        var countOnly: Bool
        var limit: Int?
        var exclusiveStart: Item?
    }

    func readPlan(_ request: JSONMembers, _ expressions: inout RequestExpressions, table: TableCatalog.Entry,
                  filterLegacy: String) throws(AWSJSONError) -> ReadPlan {
        if let index = try request.string("IndexName") {
            throw AWSJSONError.validation("The table does not have the specified index: \(index)")
        }
        let filter = try expressions.condition("FilterExpression", legacy: filterLegacy)
        let projection = try expressions.projection()
        let select = try request.enumeration("Select", ["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"])
        if select == "ALL_PROJECTED_ATTRIBUTES" {
            throw AWSJSONError.validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        }
        if projection != nil, let select, select != "SPECIFIC_ATTRIBUTES" {
            throw AWSJSONError.validation("Cannot specify the AttributesToGet when choosing to get \(select)")
        }
        let limit = try request.int("Limit", range: 1...Int(Int32.max))
        var start: Item?
        if request["ExclusiveStartKey"] != nil {
            let key = try ItemCodec.item(request["ExclusiveStartKey"], member: "ExclusiveStartKey")
            do { try table.definition.keySchema.validateKey(key) } catch {
                throw AWSJSONError.validation("The provided starting key is invalid: The provided key element does not match the schema")
            }
            start = key
        }
        return ReadPlan(filter: filter, projection: projection, countOnly: select == "COUNT", limit: limit, exclusiveStart: start)
    }

    func query(_ request: JSONMembers) throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let schema = table.definition.keySchema
        var expressions = try RequestExpressions(request)
        let keyCondition: KeyCondition
        if let text = try request.string("KeyConditionExpression") {
            if request["KeyConditions"] != nil { throw RequestExpressions.mixed("KeyConditions", "KeyConditionExpression") }
            keyCondition = try KeyCondition.parse(text, &expressions.attributes, schema: schema)
        } else if let legacy = request["KeyConditions"] {
            keyCondition = try KeyCondition.legacy(legacy, schema: schema)
        } else {
            throw AWSJSONError.validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        let plan = try readPlan(request, &expressions, table: table, filterLegacy: "QueryFilter")
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let forward = try request.bool("ScanIndexForward") ?? true
        let hash = keyCondition.hashValue.keyBytes ?? []
        if let start = plan.exclusiveStart, start[schema.hash.name]?.keyBytes != hash {
            throw AWSJSONError.validation("The provided starting key does not match the range key predicate")
        }
        let bounds = RangeBounds(keyCondition.range)
        var next: RangeStart?
        if let start = plan.exclusiveStart {
            let range = Self.storedKey(start, schema).range
            guard bounds.position(of: range) == .within else {
                throw AWSJSONError.validation("The provided starting key is outside query boundaries based on provided conditions")
            }
            next = RangeStart(range: range, inclusive: false)
        } else {
            next = forward ? bounds.lower : bounds.upper
        }
        var page = Page(plan: plan)
        while !page.full {
            let requested = page.batchSize
            let rows = try catalog.store.query(table.stored, hash: hash, from: next, forward: forward, limit: requested)
            for row in rows {
                // Rows come in key order from a start inside the range (a start key outside it is refused above), so
                // the first row outside it ends the query.
                guard bounds.position(of: row.key.range) == .within else {
                    return page.result(schema, table, request, self, exhausted: true)
                }
                try page.add(try table.sealer.open(row.body, key: row.key))
                if page.full { break }
            }
            guard rows.count == requested, let last = rows.last else { return page.result(schema, table, request, self, exhausted: !page.full) }
            next = RangeStart(range: last.key.range, inclusive: false)
        }
        return page.result(schema, table, request, self, exhausted: false)
    }

    func scan(_ request: JSONMembers) throws -> [String: JSONValue] {
        let table = try catalog.table(try tableName(request))
        let schema = table.definition.keySchema
        var expressions = try RequestExpressions(request)
        let plan = try readPlan(request, &expressions, table: table, filterLegacy: "ScanFilter")
        try expressions.finish(usedExpressions: expressions.usesExpressions)
        let totalSegments = try request.int("TotalSegments", range: 1...1_000_000)
        let segment = try request.int("Segment", range: 0...999_999)
        switch (segment, totalSegments) {
        case (nil, nil): break
        case (let segment?, let total?):
            if segment >= total {
                throw AWSJSONError.validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                              + "Segment: \(segment) is not less than TotalSegments: \(total)")
            }
        case (nil, _): throw AWSJSONError.validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        case (_, nil): throw AWSJSONError.validation("The TotalSegments parameter is required but was not present in the request when parameter Segment is present")
        }
        var after = plan.exclusiveStart.map { Self.storedKey($0, schema) }
        var page = Page(plan: plan)
        while !page.full {
            let requested = page.batchSize
            let rows = try catalog.store.scan(table.stored, after: after, limit: requested)
            for row in rows {
                after = row.key
                if let segment, let totalSegments, Self.segment(of: row.key.hash, among: totalSegments) != segment { continue }
                try page.add(try table.sealer.open(row.body, key: row.key))
                if page.full { break }
            }
            if rows.count < requested { return page.result(schema, table, request, self, exhausted: !page.full) }
        }
        return page.result(schema, table, request, self, exhausted: false)
    }

    /// Parallel scan: an item's segment follows from its hash key alone (FNV-1a), so segments never overlap.
    static func segment(of hash: [UInt8], among total: Int) -> Int {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in hash { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(value % UInt64(total))
    }

    /// One page being filled: what was evaluated, what passed the filter, and whether the page is full.
    struct Page {
        let plan: ReadPlan
        var items: [Item] = []
        var scanned = 0
        var bytes = 0
        var lastEvaluated: Item?

        init(plan: ReadPlan) { self.plan = plan }

        var full: Bool { (plan.limit.map { scanned >= $0 } ?? false) || bytes >= DynamoDBService.pageBytes }
        var batchSize: Int { min(256, max(1, (plan.limit ?? 256) - scanned)) }

        mutating func add(_ item: Item) throws {
            scanned += 1
            bytes += ItemCodec.size(item)
            lastEvaluated = item
            if plan.filter?.evaluate(item) ?? true { items.append(item) }
        }

        func result(_ schema: KeySchema, _ table: TableCatalog.Entry, _ request: JSONMembers, _ service: DynamoDBService,
                    exhausted: Bool) -> [String: JSONValue] {
            var result = service.capacity(request, table, units: Double(max(1, (bytes + 4095) / 4096)))
            result["Count"] = .int(Int64(items.count))
            result["ScannedCount"] = .int(Int64(scanned))
            if !plan.countOnly {
                result["Items"] = .array(items.map { ItemCodec.json(plan.projection?.apply($0) ?? $0) })
            }
            if !exhausted, full, let lastEvaluated { result["LastEvaluatedKey"] = ItemCodec.json(schema.key(of: lastEvaluated)) }
            return result
        }
    }
}

/// A Query's range key condition as byte bounds in key order: where a page starts, and where it must stop.
struct RangeBounds {
    var lower: RangeStart?
    var upper: RangeStart?

    init(_ condition: KeyRangeCondition?) {
        func start(_ value: AttributeValue, _ inclusive: Bool) -> RangeStart { RangeStart(range: value.keyBytes ?? [], inclusive: inclusive) }
        switch condition {
        case nil: break
        case .equal(let v)?: (lower, upper) = (start(v, true), start(v, true))
        case .less(let v)?: upper = start(v, false)
        case .lessOrEqual(let v)?: upper = start(v, true)
        case .greater(let v)?: lower = start(v, false)
        case .greaterOrEqual(let v)?: lower = start(v, true)
        case .between(let a, let b)?: (lower, upper) = (start(a, true), start(b, true))
        case .beginsWith(let prefix)?:
            let bytes = prefix.keyBytes ?? []
            lower = RangeStart(range: bytes, inclusive: true)
            upper = Self.successor(of: bytes).map { RangeStart(range: $0, inclusive: false) }
        }
    }

    enum Position { case below, within, above }

    func position(of range: [UInt8]) -> Position {
        if let lower {
            guard lower.inclusive ? !range.lexicographicallyPrecedes(lower.range) : lower.range.lexicographicallyPrecedes(range) else { return .below }
        }
        if let upper {
            guard upper.inclusive ? !upper.range.lexicographicallyPrecedes(range) : range.lexicographicallyPrecedes(upper.range) else { return .above }
        }
        return .within
    }

    /// The smallest byte string greater than every string that starts with `prefix`; nil when there is none (all 0xFF).
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}
