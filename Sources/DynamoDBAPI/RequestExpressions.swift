import AWSJSON
import DynamoDBModel

/// The expression members of one request, read as DynamoDB reads them: an expression or its legacy parameter, never
/// both; placeholders defined and all used.
struct RequestExpressions {
    var attributes: ExpressionAttributes
    private let request: JSONMembers
    private let hasNames: Bool
    private let hasValues: Bool

    init(_ request: JSONMembers) throws(AWSJSONError) {
        self.request = request
        let names = try request.stringMap("ExpressionAttributeNames")
        var values: [String: AttributeValue]?
        if let json = request["ExpressionAttributeValues"] {
            guard case .object(let entries) = json else { throw AWSJSONError.wrongType("ExpressionAttributeValues", "an object") }
            var parsed: [String: AttributeValue] = [:]
            for (name, value) in entries { parsed[name] = try AttributeValue(json: value) }
            values = parsed
        }
        if names?.isEmpty == true { throw AWSJSONError.validation("ExpressionAttributeNames must not be empty") }
        if values?.isEmpty == true { throw AWSJSONError.validation("ExpressionAttributeValues must not be empty") }
        hasNames = names != nil
        hasValues = values != nil
        attributes = ExpressionAttributes(names: names, values: values)
    }

    /// `ConditionExpression` (or `FilterExpression`), or its legacy parameter (`Expected`, `QueryFilter`, `ScanFilter`).
    mutating func condition(_ member: String = "ConditionExpression", legacy: String = "Expected") throws(AWSJSONError) -> ConditionExpression? {
        let text = try request.string(member)
        let old = request[legacy]
        if text != nil, old != nil { throw Self.mixed(legacy, member) }
        if let text { return try ConditionExpression.parse(text, &attributes, parameter: member) }
        guard let old else { return nil }
        let conditionalOperator = try request.enumeration("ConditionalOperator", ["AND", "OR"])
        if legacy == "Expected" { return try LegacyConditions.expected(old, conditionalOperator: conditionalOperator) }
        return try LegacyConditions.filter(old, conditionalOperator: conditionalOperator, parameter: legacy)
    }

    /// `ProjectionExpression`, or the legacy `AttributesToGet`.
    mutating func projection() throws(AWSJSONError) -> ProjectionExpression? {
        let text = try request.string("ProjectionExpression")
        let names = try request.strings("AttributesToGet")
        if text != nil, names != nil { throw Self.mixed("AttributesToGet", "ProjectionExpression") }
        if let text { return try ProjectionExpression.parse(text, &attributes) }
        if let names {
            if names.isEmpty { throw AWSJSONError.constraint("AttributesToGet", "[]", "Member must have length greater than or equal to 1") }
            if Set(names).count != names.count { throw AWSJSONError.validation("One or more parameter values were invalid: Duplicate value in attribute name: \(names)") }
            return ProjectionExpression.attributesToGet(names)
        }
        return nil
    }

    /// `UpdateExpression`, or the legacy `AttributeUpdates`.
    mutating func update() throws(AWSJSONError) -> UpdateExpression? {
        let text = try request.string("UpdateExpression")
        let old = request["AttributeUpdates"]
        if text != nil, old != nil { throw Self.mixed("AttributeUpdates", "UpdateExpression") }
        if let text { return try UpdateExpression.parse(text, &attributes) }
        if let old { return try LegacyConditions.attributeUpdates(old) }
        return nil
    }

    /// After every expression of the request was read: placeholders given without any expression, or left unused.
    func finish(usedExpressions: Bool) throws(AWSJSONError) {
        if !usedExpressions {
            if hasNames { throw AWSJSONError.validation("ExpressionAttributeNames can only be specified when using expressions") }
            if hasValues { throw AWSJSONError.validation("ExpressionAttributeValues can only be specified when using expressions") }
            return
        }
        try attributes.checkAllUsed()
    }

    var usesExpressions: Bool {
        ["ConditionExpression", "FilterExpression", "ProjectionExpression", "UpdateExpression", "KeyConditionExpression"]
            .contains { request[$0] != nil }
    }

    static func mixed(_ legacy: String, _ expression: String) -> AWSJSONError {
        .validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {\(legacy)} "
                    + "Expression parameters: {\(expression)}")
    }
}
