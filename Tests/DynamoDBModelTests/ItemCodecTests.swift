import AWSJSON
import DynamoDBModel
import Foundation
import Testing

func item(_ text: String) -> Item {
    try! ItemCodec.item(json(text), member: "Item")
}

@Suite struct ItemCodecTests {
    @Test func readsAndWritesItems() throws {
        let text = #"{"LockID":{"S":"state/terraform.tfstate"},"Digest":{"S":"abc"},"n":{"N":"5"},"m":{"M":{"x":{"L":[{"BOOL":true}]}}}}"#
        let parsed = try ItemCodec.item(json(text), member: "Item")
        #expect(parsed["LockID"] == .string("state/terraform.tfstate"))
        #expect(ItemCodec.json(parsed) == json(text))
    }

    @Test func nullEntriesAreDropped() throws {
        #expect(try ItemCodec.item(json(#"{"a":null,"b":{"S":"x"}}"#), member: "Item") == ["b": .string("x")])
    }

    @Test func memberErrors() {
        #expect(errorMessage { try ItemCodec.item(nil, member: "Item") }
                == "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
        #expect(errorMessage { try ItemCodec.item(json("[]"), member: "Key") } == "Start of list found where not expected")
        #expect(errorMessage { try ItemCodec.item(json(#""x""#), member: "Key") } == "Expected map or null")
        #expect(errorMessage { try ItemCodec.item(json(#"{"":{"S":"x"}}"#), member: "Item") }
                == "Empty attribute name")
        #expect(errorMessage { try ItemCodec.item(json(#"{"a":{}}"#), member: "Item") }
                == "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    }

    @Test func storageBytesRoundTripAndAreDeterministic() throws {
        let original = item(#"{"z":{"N":"1.5"},"a":{"SS":["x","y"]},"b":{"B":"AAEC"},"m":{"M":{"q":{"NULL":true},"p":{"NS":["2","1"]}}},"l":{"L":[{"BS":["AA=="]}]}}"#)
        let bytes = ItemCodec.encode(original)
        #expect(try ItemCodec.decode(bytes) == original)
        #expect(ItemCodec.encode(try ItemCodec.decode(bytes)) == bytes)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"a":"#))
        #expect(throws: (any Error).self) { try ItemCodec.decode(Array("not json".utf8)) }
    }

    // "DynamoDB item sizes and formats" (Developer Guide): names and values in UTF-8 bytes, numbers by significant
    // digits, binary by raw bytes, BOOL/NULL one byte, lists and maps 3 bytes plus one byte per element.
    @Test func documentedItemSizes() {
        #expect(ItemCodec.size(["Id": .string("abc")]) == 2 + 3)
        #expect(ItemCodec.size(["Ü": .string("é")]) == 2 + 2)
        #expect(ItemCodec.size(["n": .number(number("123.45"))]) == 1 + 4)
        #expect(ItemCodec.size(["b": .binary([1, 2, 3, 4])]) == 1 + 4)
        #expect(ItemCodec.size(["flag": .bool(true)]) == 4 + 1)
        #expect(ItemCodec.size(["nothing": .null]) == 7 + 1)
        #expect(ItemCodec.size(["l": .list([])]) == 1 + 3)
        #expect(ItemCodec.size(["m": .map([:])]) == 1 + 3)
        #expect(ItemCodec.size(["l": .list([.string("ab"), .bool(false)])]) == 1 + 3 + (1 + 2) + (1 + 1))
        #expect(ItemCodec.size(["m": .map(["k": .string("v")])]) == 1 + 3 + (1 + 1 + 1))
        #expect(ItemCodec.size(["ss": .stringSet(["a", "bc"])]) == 2 + 3)
        #expect(ItemCodec.size(["ns": .numberSet([number("1"), number("12345")])]) == 2 + 2 + 4)
        #expect(ItemCodec.size(["bs": .binarySet([[1], [2, 3]])]) == 2 + 3)
        #expect(ItemCodec.size(["a": .string("x"), "bb": .string("yy")]) == 2 + 4)
        #expect(ItemCodec.size([:]) == 0)
    }
}

@Suite struct KeySchemaTests {
    let lockTable = KeySchema(hash: KeyAttribute(name: "LockID", type: .string))
    let composite = KeySchema(hash: KeyAttribute(name: "pk", type: .string), range: KeyAttribute(name: "sk", type: .number))

    @Test func validKeys() throws {
        try lockTable.validateKey(["LockID": .string("a")])
        try composite.validateKey(["pk": .string("a"), "sk": .number(number("1"))])
        try lockTable.validateItemKey(["LockID": .string("a"), "Info": .string("x")])
        try composite.validateItemKey(["pk": .string("a"), "sk": .number(number("1")), "x": .null])
    }

    @Test func keyMismatches() {
        let mismatch = "The provided key element does not match the schema"
        #expect(errorMessage { try lockTable.validateKey([:]) } == mismatch)
        #expect(errorMessage { try lockTable.validateKey(["LockID": .number(number("1"))]) } == mismatch)
        #expect(errorMessage { try lockTable.validateKey(["Other": .string("a")]) } == mismatch)
        #expect(errorMessage { try lockTable.validateKey(["LockID": .string("a"), "Extra": .string("b")]) } == mismatch)
        #expect(errorMessage { try composite.validateKey(["pk": .string("a")]) } == mismatch)
        #expect(errorMessage { try composite.validateKey(["pk": .string("a"), "sk": .string("1")]) } == mismatch)
    }

    @Test func itemKeyErrors() {
        #expect(errorMessage { try lockTable.validateItemKey(["Info": .string("x")]) }
                == "One or more parameter values were invalid: Missing the key LockID in the item")
        #expect(errorMessage { try lockTable.validateItemKey(["LockID": .number(number("1"))]) }
                == "One or more parameter values were invalid: Type mismatch for key LockID expected: S actual: N")
        #expect(errorMessage { try composite.validateItemKey(["pk": .string("a"), "sk": .list([])]) }
                == "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: L")
        #expect(errorMessage { try composite.validateItemKey(["pk": .string("a")]) }
                == "One or more parameter values were invalid: Missing the key sk in the item")
    }

    @Test func emptyAndOversizedKeyValues() {
        #expect(errorMessage { try lockTable.validateItemKey(["LockID": .string("")]) }
                == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: LockID")
        #expect(errorMessage { try lockTable.validateKey(["LockID": .string("")]) }
                == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: LockID")
        let binaryTable = KeySchema(hash: KeyAttribute(name: "h", type: .binary))
        #expect(errorMessage { try binaryTable.validateKey(["h": .binary([])]) }
                == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: h")
        #expect(errorMessage { try lockTable.validateKey(["LockID": .string(String(repeating: "x", count: 2048))]) } == nil)
        #expect(errorMessage { try lockTable.validateKey(["LockID": .string(String(repeating: "x", count: 2049))]) }
                == "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
        let stringRange = KeySchema(hash: KeyAttribute(name: "h", type: .string), range: KeyAttribute(name: "r", type: .string))
        #expect(errorMessage { try stringRange.validateKey(["h": .string("a"), "r": .string(String(repeating: "x", count: 1025))]) }
                == "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
    }

    @Test func keyOfItem() {
        let full: Item = ["pk": .string("a"), "sk": .number(number("2")), "other": .bool(true)]
        #expect(composite.key(of: full) == ["pk": .string("a"), "sk": .number(number("2"))])
        #expect(lockTable.key(of: ["x": .null]) == [:])
    }

    @Test func codable() throws {
        let data = try JSONEncoder().encode(composite)
        #expect(try JSONDecoder().decode(KeySchema.self, from: data) == composite)
    }
}
