import AWSJSON
import Foundation
import Testing

/// The JSON reader and writer every AWS JSON request and stored item goes through: exact types, escapes, and bytes
/// that read back as the same value.
@Suite("JSON values")
struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func typesAreKeptExactly() throws {
        #expect(try parse("[true, false, 1, 0, -7, 1.5, 1e2, \"1\", null]") == .array([
            .bool(true), .bool(false), .int(1), .int(0), .int(-7), .double(1.5), .double(100), .string("1"), .null,
        ]))
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("18446744073709551615") == .double(18_446_744_073_709_551_615))
        #expect(try parse(#"{"a": {"b": [{}]}}"#) == .object(["a": .object(["b": .array([.object([:])])])]))
        for bad in ["", "{", "{\"a\" 1}", "tru", "\"unterminated", "{} {}"] {
            #expect(throws: JSONValue.ParseError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func writtenBytesAreCompactSortedAndReadBack() throws {
        let value: JSONValue = .object(["b": .int(2), "a": .array([.bool(true), .null, .double(0.25), .double(3)]),
                                        "c": .string("quote \" backslash \\ newline \n tab \t bell \u{07} é ✓")])
        let text = String(decoding: value.bytes, as: UTF8.self)
        #expect(text == #"{"a":[true,null,0.25,3],"b":2,"c":"quote \" backslash \\ newline \n tab \t bell \u0007 é ✓"}"#)
        #expect(try JSONValue.parse(value.bytes) == .object(["b": .int(2), "a": .array([.bool(true), .null, .double(0.25), .int(3)]),
                                                             "c": .string("quote \" backslash \\ newline \n tab \t bell \u{07} é ✓")]))
        // Foundation reads the bytes as the same document.
        let foundation = try JSONSerialization.jsonObject(with: Data(value.bytes)) as? [String: Any]
        #expect(foundation?["c"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} é ✓")
    }
}
