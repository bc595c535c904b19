import AWSJSON
import DynamoDBModel
import Foundation
import Testing

func json(_ text: String) -> JSONValue {
    try! JSONValue.parse(Array(text.utf8))
}

func value(_ text: String) -> AttributeValue {
    try! AttributeValue(json: json(text))
}

@Suite struct AttributeValueTests {
    @Test(arguments: [
        #"{"S":"hello"}"#, #"{"S":""}"#, #"{"N":"12.5"}"#, #"{"N":"-3"}"#, #"{"B":"AAEC"}"#, #"{"B":""}"#,
        #"{"BOOL":true}"#, #"{"BOOL":false}"#, #"{"NULL":true}"#, #"{"M":{}}"#, #"{"L":[]}"#,
        #"{"M":{"a":{"S":"x"},"b":{"L":[{"N":"1"},{"NULL":true},{"M":{"c":{"BOOL":false}}}]}}}"#,
        #"{"SS":["a","b",""]}"#, #"{"NS":["1","2.5","-3"]}"#, #"{"BS":["AA==","AQ==",""]}"#,
    ])
    func roundTrips(_ text: String) throws {
        let parsed = try AttributeValue(json: json(text))
        #expect(parsed.json == json(text))
        #expect(try AttributeValue(json: parsed.json) == parsed)
    }

    @Test func numbersAreNormalizedOnTheWayOut() throws {
        #expect(try AttributeValue(json: json(#"{"N":"01.50"}"#)).json == json(#"{"N":"1.5"}"#))
        #expect(try AttributeValue(json: json(#"{"NS":["1e2","0.50"]}"#)).json == json(#"{"NS":["100","0.5"]}"#))
    }

    @Test func typeNames() {
        #expect(value(#"{"S":"a"}"#).typeName == "S")
        #expect(value(#"{"N":"1"}"#).typeName == "N")
        #expect(value(#"{"B":"AA=="}"#).typeName == "B")
        #expect(value(#"{"BOOL":true}"#).typeName == "BOOL")
        #expect(value(#"{"NULL":true}"#).typeName == "NULL")
        #expect(value(#"{"M":{}}"#).typeName == "M")
        #expect(value(#"{"L":[]}"#).typeName == "L")
        #expect(value(#"{"SS":["a"]}"#).typeName == "SS")
        #expect(value(#"{"NS":["1"]}"#).typeName == "NS")
        #expect(value(#"{"BS":["AA=="]}"#).typeName == "BS")
    }

    @Test func setsCompareUnordered() {
        #expect(value(#"{"SS":["a","b"]}"#) == value(#"{"SS":["b","a"]}"#))
        #expect(value(#"{"NS":["1","2"]}"#) == value(#"{"NS":["2.0","1"]}"#))
        #expect(value(#"{"SS":["a","b"]}"#) != value(#"{"SS":["a"]}"#))
        #expect(value(#"{"L":[{"S":"a"},{"S":"b"}]}"#) != value(#"{"L":[{"S":"b"},{"S":"a"}]}"#))
        #expect(value(#"{"S":"1"}"#) != value(#"{"N":"1"}"#))
    }

    // Messages as DynamoDB returns them for invalid attribute values (ValidationException).
    @Test(arguments: [
        (#"{}"#, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        (#"{"S":null}"#, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        (#"{"X":"a"}"#, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        (#"{"S":"a","N":"1"}"#, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        (#"{"S":"a","BOOL":true,"NULL":true}"#, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        (#"{"S":"a","N":"x"}"#, "The parameter cannot be converted to a numeric value: x"),
        (#"{"N":""}"#, "The parameter cannot be converted to a numeric value"),
        (#"{"N":"1e200"}"#, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        (#"{"NULL":false}"#, "One or more parameter values were invalid: Null attribute value types must have the value of true"),
        (#"{"SS":[]}"#, "One or more parameter values were invalid: An string set  may not be empty"),
        (#"{"NS":[]}"#, "One or more parameter values were invalid: An number set  may not be empty"),
        (#"{"BS":[]}"#, "One or more parameter values were invalid: Binary sets should not be empty"),
        (#"{"SS":["a","a"]}"#, "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
        (#"{"BS":["Yg==","Yg=="]}"#, "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates."),
        (#"{"NS":["1","1.0"]}"#, "Input collection contains duplicates"),
        (#"{"NS":["1","b"]}"#, "The parameter cannot be converted to a numeric value: b"),
        (#"{"NS":["1",""]}"#, "The parameter cannot be converted to a numeric value"),
        (#"{"M":{"a":{}}}"#, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        (#"{"L":[{"SS":[]}]}"#, "One or more parameter values were invalid: An string set  may not be empty"),
        (#"{"M":{"a":{"L":[{"N":"x"}]}}}"#, "The parameter cannot be converted to a numeric value: x"),
    ])
    func validationErrors(_ text: String, _ message: String) {
        #expect(errorMessage { try AttributeValue(json: json(text)) } == message)
        #expect(errorType { try AttributeValue(json: json(text)) } == "ValidationException")
    }

    // Shapes DynamoDB's JSON reader refuses (SerializationException).
    @Test(arguments: [
        (#""a""#, "Expected null"),
        (#"[]"#, "Start of list found where not expected"),
        (#"{"S":1}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
        (#"{"S":true}"#, "class java.lang.Boolean can not be converted to an String"),
        (#"{"S":{}}"#, "Start of structure or map found where not expected."),
        (#"{"N":12}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
        (#"{"S":[]}"#, "Start of list found where not expected"),
        (#"{"BOOL":"maybe"}"#, "'MAYBE' can not be converted to an Boolean"),
        (#"{"BOOL":1}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean"),
        (#"{"B":"abc"}"#, "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
        (#"{"B":"ab!="}"#, "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"),
        (#"{"B":"a=bc"}"#, "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"),
        (#"{"B":"YR=="}"#, "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
        (#"{"B":5}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"),
        (#"{"L":"a"}"#, "Expected list or null"),
        (#"{"L":{}}"#, "Start of structure or map found where not expected."),
        (#"{"M":"a"}"#, "Expected map or null"),
        (#"{"M":[]}"#, "Start of list found where not expected"),
        (#"{"SS":"a"}"#, "Expected list or null"),
        (#"{"SS":[1]}"#, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
    ])
    func serializationErrors(_ text: String, _ message: String) {
        #expect(errorMessage { try AttributeValue(json: json(text)) } == message)
        #expect(errorType { try AttributeValue(json: json(text)) } == "SerializationException")
    }

    @Test func booleanSpellingsDynamoDBAccepts() throws {
        #expect(try AttributeValue(json: json(#"{"BOOL":"true"}"#)) == .bool(true))
        #expect(try AttributeValue(json: json(#"{"BOOL":"No"}"#)) == .bool(false))
        #expect(try AttributeValue(json: json(#"{"NULL":"1"}"#)) == .null)
    }

    /// "Nesting Levels have exceeded supported limits": 31 wrappings are stored, 32 are not.
    @Test func nestingLimit() {
        func nested(_ wraps: Int) -> JSONValue {
            var current: JSONValue = .object(["S": .string("x")])
            for index in 0..<wraps {
                current = index % 2 == 0 ? .object(["M": .object(["a": current])]) : .object(["L": .array([current])])
            }
            return current
        }
        #expect(errorMessage { try AttributeValue(json: nested(31)) } == nil)
        #expect(errorMessage { try AttributeValue(json: nested(32)) }
                == "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
        #expect(errorMessage { try AttributeValue(json: nested(5000)) } != nil)
    }

    @Test func comparisons() {
        #expect(AttributeValue.compare(.string("a"), .string("b")) == .orderedAscending)
        #expect(AttributeValue.compare(.string("b"), .string("a")) == .orderedDescending)
        #expect(AttributeValue.compare(.string("a"), .string("a")) == .orderedSame)
        #expect(AttributeValue.compare(.string("a"), .string("ab")) == .orderedAscending)
        // UTF-8 byte order, not UTF-16 or locale order: U+FF5E (3 bytes) sorts after U+1F600 would not in UTF-16.
        #expect(AttributeValue.compare(.string("\u{FF5E}"), .string("\u{1F600}")) == .orderedAscending)
        #expect(AttributeValue.compare(.string("Z"), .string("a")) == .orderedAscending)
        #expect(AttributeValue.compare(.number(number("10")), .number(number("9"))) == .orderedDescending)
        #expect(AttributeValue.compare(.number(number("1.0")), .number(number("1"))) == .orderedSame)
        #expect(AttributeValue.compare(.binary([1, 2]), .binary([1, 3])) == .orderedAscending)
        #expect(AttributeValue.compare(.binary([0xFF]), .binary([0x00, 0x00])) == .orderedDescending)
        #expect(AttributeValue.compare(.string("1"), .number(number("1"))) == nil)
        #expect(AttributeValue.compare(.bool(true), .bool(true)) == nil)
        #expect(AttributeValue.compare(.null, .null) == nil)
        #expect(AttributeValue.compare(.list([]), .list([])) == nil)
    }

    @Test func keyBytes() {
        #expect(AttributeValue.string("ab").keyBytes == [97, 98])
        #expect(AttributeValue.binary([9, 0]).keyBytes == [9, 0])
        #expect(AttributeValue.number(number("1.5")).keyBytes == number("1.50").sortKeyBytes)
        #expect(AttributeValue.bool(true).keyBytes == nil)
        #expect(AttributeValue.stringSet(["a"]).keyBytes == nil)
        #expect(AttributeValue.map([:]).keyBytes == nil)
    }
}
