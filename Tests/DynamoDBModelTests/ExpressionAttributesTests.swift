import AWSJSON
import DynamoDBModel
import Foundation
import Testing

func members(_ text: String) throws -> JSONMembers {
    try JSONMembers(body: Array(text.utf8))
}

@Suite struct ExpressionAttributesTests {
    @Test func readsNamesAndValues() throws {
        let attributes = try ExpressionAttributes.from(members(##"{"ExpressionAttributeNames":{"#a":"LockID"},"ExpressionAttributeValues":{":v":{"N":"01.0"}}}"##))
        #expect(attributes.names == ["#a": "LockID"])
        #expect(attributes.values == [":v": .number(number("1"))])
        let none = try ExpressionAttributes.from(members("{}"))
        #expect(none.names == nil && none.values == nil)
    }

    // Messages from DynamoDB's validation of the two maps.
    @Test(arguments: [
        (#"{"ExpressionAttributeNames":{}}"#, "ExpressionAttributeNames must not be empty"),
        (#"{"ExpressionAttributeValues":{}}"#, "ExpressionAttributeValues must not be empty"),
        (#"{"ExpressionAttributeNames":{"a":"b"}}"#, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""),
        (##"{"ExpressionAttributeNames":{"#a-b":"b"}}"##, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#a-b\""),
        (#"{"ExpressionAttributeValues":{"v":{"S":"x"}}}"#, "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""),
        (#"{"ExpressionAttributeValues":{":v":{}}}"#, "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v"),
        (#"{"ExpressionAttributeValues":{":v":{"SS":[]}}}"#, "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"),
        (#"{"ExpressionAttributeNames":[]}"#, "Start of list found where not expected"),
        (#"{"ExpressionAttributeValues":{":v":{"S":5}}}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
    ])
    func invalidMaps(_ body: String, _ message: String) throws {
        let request = try members(body)
        #expect(errorMessage { try ExpressionAttributes.from(request) } == message)
    }

    @Test func unusedPlaceholders() throws {
        var attributes = ExpressionAttributes(names: ["#a": "a", "#b": "b", "#c": "c"], values: [":v": .null, ":w": .null])
        _ = try ConditionExpression.parse("#a = :v", &attributes)
        #expect(errorMessage { try attributes.checkAllUsed() } == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}")
        _ = try ProjectionExpression.parse("#b, #c", &attributes)
        #expect(errorMessage { try attributes.checkAllUsed() } == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}")
        _ = try UpdateExpression.parse("SET x = :w", &attributes)
        try attributes.checkAllUsed()
        #expect(attributes.usedNames == ["#a", "#b", "#c"])
    }

    @Test func failedParseMarksNothingUsed() {
        var attributes = ExpressionAttributes(names: ["#a": "a"], values: nil)
        #expect(errorMessage { try ConditionExpression.parse("#a = :undefined", &attributes) } != nil)
        #expect(attributes.usedNames.isEmpty)
    }

    @Test func specifiedOnlyWithExpressions() {
        let names = ExpressionAttributes(names: ["#a": "a"], values: nil)
        #expect(errorMessage { try names.checkSpecifiedWithExpressions(given: [], valueExpressions: ["ConditionExpression"]) }
                == "ExpressionAttributeNames can only be specified when using expressions")
        #expect(errorMessage { try names.checkSpecifiedWithExpressions(given: ["ProjectionExpression"], valueExpressions: []) } == nil)
        let values = ExpressionAttributes(names: nil, values: [":v": .null])
        #expect(errorMessage { try values.checkSpecifiedWithExpressions(given: [], valueExpressions: ["UpdateExpression", "ConditionExpression"]) }
                == "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null")
        #expect(errorMessage { try values.checkSpecifiedWithExpressions(given: ["ProjectionExpression"], valueExpressions: ["FilterExpression"]) }
                == "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null")
        #expect(errorMessage { try values.checkSpecifiedWithExpressions(given: ["ConditionExpression"], valueExpressions: ["ConditionExpression"]) } == nil)
    }

    @Test func updatedTopLevelNames() throws {
        var attributes = ExpressionAttributes(names: ["#i": "Info"], values: [":v": .string("x"), ":n": .number(number("1"))])
        let update = try UpdateExpression.parse("SET #i = :v, m.x = :v REMOVE l[0] ADD n :n", &attributes)
        #expect(update.updatedTopLevelNames == ["Info", "m", "l", "n"])
        let legacy = try LegacyConditions.attributeUpdates(json(#"{"a":{"Action":"DELETE"},"b":{"Value":{"S":"x"}}}"#))
        #expect(legacy.updatedTopLevelNames == ["a", "b"])
    }

    @Test func failedUpdateLeavesTheItemUnchanged() throws {
        var attributes = ExpressionAttributes(names: nil, values: [":v": .number(number("1"))])
        let update = try UpdateExpression.parse("SET a = :v, b = absent", &attributes)
        var target = item(#"{"k":{"S":"x"}}"#)
        #expect(errorMessage { try update.apply(to: &target) } == "The provided expression refers to an attribute that does not exist in the item")
        #expect(target == item(#"{"k":{"S":"x"}}"#))
    }

    @Test func conditionTopLevelNames() throws {
        var attributes = ExpressionAttributes(names: ["#k": "pk"], values: [":v": .null])
        let condition = try ConditionExpression.parse("#k = :v AND a.b[1] = :v OR size(c) = :v", &attributes, parameter: "FilterExpression")
        #expect(condition.topLevelNames == ["pk", "a", "c"])
    }

    @Test func attributesToGet() {
        let projection = ProjectionExpression.attributesToGet(["status", "a.b", "x"])
        let source = item(#"{"status":{"S":"on"},"a.b":{"N":"1"},"a":{"M":{"b":{"N":"2"}}}}"#)
        #expect(projection.apply(source) == item(#"{"status":{"S":"on"},"a.b":{"N":"1"}}"#))
    }

    @Test func legacyKeyConditions() throws {
        let condition = try KeyCondition.legacy(json(#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"sk":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"5"}]}}"#),
                                                schema: hashRange)
        #expect(describe(condition) == "hash=S:a range=between(N:1,N:5)")
        #expect(errorMessage { try KeyCondition.legacy(json(#"{"pk":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"a"}]}}"#), schema: hashRange) }
                == "Attempted conditional constraint is not an indexable operation")
        #expect(errorMessage { try KeyCondition.legacy(json(#"{"pk":{"ComparisonOperator":"EQ"}}"#), schema: hashRange) }
                == "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator")
        #expect(errorMessage { try KeyCondition.legacy(json("{}"), schema: hashRange) } == "Conditions can be of length 1 or 2 only")
        #expect(errorMessage { try KeyCondition.legacy(json(#"{"pk":{"ComparisonOperator":"GT","AttributeValueList":[{"S":"a"}]}}"#), schema: hashRange) }
                == "Query key condition not supported")
        #expect(errorMessage { try KeyCondition.legacy(json(#"{"pk":{"ComparisonOperator":"LIKE","AttributeValueList":[{"S":"a"}]}}"#), schema: hashRange) }
                == "1 validation error detected: Value 'LIKE' at 'keyConditions.pk.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
    }

    @Test func rangeConditionsMatch() {
        let five = AttributeValue.number(number("5"))
        #expect(KeyRangeCondition.equal(.number(number("5.0"))).matches(five))
        #expect(KeyRangeCondition.less(.number(number("6"))).matches(five))
        #expect(!KeyRangeCondition.less(.number(number("5"))).matches(five))
        #expect(KeyRangeCondition.lessOrEqual(.number(number("5"))).matches(five))
        #expect(KeyRangeCondition.greater(.number(number("4.99"))).matches(five))
        #expect(KeyRangeCondition.greaterOrEqual(.number(number("5"))).matches(five))
        #expect(KeyRangeCondition.between(.number(number("5")), .number(number("5"))).matches(five))
        #expect(!KeyRangeCondition.between(.number(number("6")), .number(number("9"))).matches(five))
        #expect(!KeyRangeCondition.greater(.string("1")).matches(five))
        #expect(KeyRangeCondition.beginsWith(.string("ab")).matches(.string("abc")))
        #expect(!KeyRangeCondition.beginsWith(.string("abcd")).matches(.string("abc")))
        #expect(KeyRangeCondition.beginsWith(.binary([1])).matches(.binary([1, 2])))
        #expect(!KeyRangeCondition.beginsWith(.string("5")).matches(five))
    }
}
