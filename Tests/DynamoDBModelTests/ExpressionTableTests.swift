import AWSJSON
import DynamoDBModel
import Foundation
import Testing

/// Runs every row of `expressionCases` and compares with DynamoDB's documented result or exact error message.
@Suite struct ExpressionTableTests {
    @Test func tableIsLargeEnough() {
        #expect(expressionCases.count >= 120)
    }

    @Test(arguments: expressionCases)
    func expression(_ row: ExpressionCase) throws {
        let outcome: String
        do {
            outcome = try run(row)
        } catch let error as AWSJSONError {
            outcome = "error: " + error.message
        }
        if row.expected.hasPrefix("error: ") || outcome.hasPrefix("error: ") || row.expected == "true" || row.expected == "false"
            || row.expected.hasPrefix("hash=") {
            #expect(outcome == row.expected)
        } else {
            // Items compare as values, so set order and map key order do not matter.
            #expect(outcome.hasPrefix("{"), "\(outcome)")
            if outcome.hasPrefix("{") { #expect(item(outcome) == item(row.expected), "\(outcome)") }
        }
    }

    private func run(_ row: ExpressionCase) throws -> String {
        let values = row.values.hasPrefix("{") ? try ItemCodec.item(json(row.values), member: "ExpressionAttributeValues") : [:]
        var attributes = ExpressionAttributes(names: row.names.isEmpty ? nil : row.names, values: values.isEmpty ? nil : values)
        let before = item(row.item)
        switch row.kind {
        case .condition, .filter:
            let condition = try ConditionExpression.parse(row.expression, &attributes)
            try attributes.checkAllUsed()
            return String(condition.evaluate(before))
        case .update:
            let update = try UpdateExpression.parse(row.expression, &attributes)
            try attributes.checkAllUsed()
            var after = before
            try update.apply(to: &after)
            return render(after)
        case .projection:
            let projection = try ProjectionExpression.parse(row.expression, &attributes)
            try attributes.checkAllUsed()
            return render(projection.apply(before))
        case .key(let schema):
            let condition = try KeyCondition.parse(row.expression, &attributes, schema: schema)
            try attributes.checkAllUsed()
            return describe(condition)
        case .expected:
            return String(try LegacyConditions.expected(json(row.expression), conditionalOperator: nil).evaluate(before))
        case .scanFilter:
            let conditionalOperator = row.values.hasPrefix("{") ? nil : row.values
            return String(try LegacyConditions.filter(json(row.expression), conditionalOperator: conditionalOperator, parameter: "ScanFilter").evaluate(before))
        case .attributeUpdates:
            var after = before
            try LegacyConditions.attributeUpdates(json(row.expression)).apply(to: &after)
            return render(after)
        }
    }

    private func render(_ item: Item) -> String {
        String(decoding: ItemCodec.encode(item), as: UTF8.self)
    }
}

func describe(_ value: AttributeValue) -> String {
    switch value {
    case .string(let text): "S:\(text)"
    case .number(let number): "N:\(number)"
    default: "\(value.typeName):\(value.json)"
    }
}

func describe(_ condition: KeyCondition) -> String {
    var text = "hash=" + describe(condition.hashValue)
    switch condition.range {
    case nil: break
    case .equal(let v)?: text += " range=equal(\(describe(v)))"
    case .less(let v)?: text += " range=less(\(describe(v)))"
    case .lessOrEqual(let v)?: text += " range=lessOrEqual(\(describe(v)))"
    case .greater(let v)?: text += " range=greater(\(describe(v)))"
    case .greaterOrEqual(let v)?: text += " range=greaterOrEqual(\(describe(v)))"
    case .between(let low, let high)?: text += " range=between(\(describe(low)),\(describe(high)))"
    case .beginsWith(let v)?: text += " range=beginsWith(\(describe(v)))"
    }
    return text
}
