import AWSJSON
import DynamoDBModel
import Foundation
import LockstepTestSupport
import Testing

/// Hostile input to every parser must end in an AWSJSONError (or a result), never a crash or a stack overflow.
@Suite struct RobustnessTests {
    static let sample = item(#"{"a":{"N":"1"},"b":{"S":"x"},"l":{"L":[{"N":"1"},{"M":{"c":{"SS":["y"]}}}]},"m":{"M":{"n":{"NS":["2"]}}}}"#)

    static func attributes() -> ExpressionAttributes {
        ExpressionAttributes(names: ["#n": "a", "#m": "m", "#0": "l"],
                             values: [":v": .number(DynamoNumber(1)), ":s": .string("x"), ":l": .list([]), ":ss": .stringSet(["y"]), ":t": .string("N")])
    }

    /// Runs every parser over the text; anything thrown must be an AWSJSONError, and what parses must evaluate.
    static func exercise(_ text: String) {
        var attributes = attributes()
        do {
            let condition = try ConditionExpression.parse(text, &attributes)
            _ = condition.evaluate(sample)
            _ = condition.evaluate([:])
        } catch {}
        attributes = Self.attributes()
        do {
            var copy = sample
            try UpdateExpression.parse(text, &attributes).apply(to: &copy)
        } catch {}
        attributes = Self.attributes()
        do { _ = try ProjectionExpression.parse(text, &attributes).apply(sample) } catch {}
        attributes = Self.attributes()
        do {
            let key = try KeyCondition.parse(text, &attributes, schema: hashRange)
            _ = key.range?.matches(.number(DynamoNumber(3)))
        } catch {}
        _ = try? DynamoNumber.parse(text)
    }

    @Test func randomBytes() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<1500 {
            let length = Int(generator.next() % 64)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            Self.exercise(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Random sequences of the grammar's own tokens reach far deeper into the parsers than random bytes.
    @Test func randomTokenSoup() {
        let tokens = ["a", "b", "l", "m", "#n", "#m", "#0", "#zz", ":v", ":s", ":l", ":ss", ":t", ":zz", "(", ")", "[", "]", "0", "1", "99",
                      ".", ",", "=", "<>", "<", "<=", ">", ">=", "+", "-", "AND", "or", "NOT", "BETWEEN", "IN", "size", "attribute_exists",
                      "attribute_not_exists", "attribute_type", "begins_with", "contains", "if_not_exists", "list_append", "SET", "REMOVE",
                      "ADD", "DELETE", "status", "!", "é", " "]
        var generator = SplitMix64(seed: 11)
        for _ in 0..<6000 {
            let count = Int(generator.next() % 14) + 1
            let text = (0..<count).map { _ in tokens[Int(generator.next() % UInt64(tokens.count))] }.joined(separator: " ")
            Self.exercise(text)
        }
    }

    /// Deep nesting, within the 4 KB limit and beyond it, on a thread with a small stack.
    @Test func deepNesting() async {
        let cases = [
            String(repeating: "(", count: 10_000) + "a = :v" + String(repeating: ")", count: 10_000),
            String(repeating: "(", count: 2000) + "a = :v" + String(repeating: ")", count: 2000),
            String(repeating: "(", count: 2000),
            String(repeating: "NOT ", count: 1000) + "a = :v",
            String(repeating: "size(", count: 800) + "a" + String(repeating: ")", count: 800) + " = :v",
            "SET a = " + String(repeating: "list_append(", count: 300) + ":l" + String(repeating: ", :l)", count: 300),
            "SET a = " + String(repeating: "(", count: 2000) + ":v" + String(repeating: ")", count: 2000),
            String(repeating: "a = :v AND ", count: 370) + "a = :v",
            String(repeating: "a = :v OR ", count: 400) + "a = :v",
            String(repeating: "(a = :v AND ", count: 300) + "a = :v" + String(repeating: ")", count: 300),
            "a IN (" + Array(repeating: ":v", count: 1000).joined(separator: ",") + ")",
            String(repeating: "a.", count: 2000) + "a = :v",
            String(repeating: "a[0]", count: 1000) + " = :v",
        ]
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                for text in cases { Self.exercise(text) }
                done.resume()
            }
            // Requests run on NIO event-loop threads with the system's default stack (8 MiB); 1 MiB is an eighth of
            // that and still holds a debug build's frames at the parser's 100-level limit (about 5 KiB a level).
            thread.stackSize = 1024 * 1024
            thread.start()
        }
        var attributes = Self.attributes()
        let tooDeep = String(repeating: "NOT ", count: 1000) + "a = :v"
        #expect(errorMessage { try ConditionExpression.parse(tooDeep, &attributes) }
                == "Invalid ConditionExpression: The expression has too many nested levels; the most allowed is \(100)")
        attributes = Self.attributes()
        let tooLong = String(repeating: "(", count: 10_000) + "a = :v" + String(repeating: ")", count: 10_000)
        #expect(errorMessage { try ConditionExpression.parse(tooLong, &attributes, parameter: "FilterExpression") }
                == "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 20006")
    }

    @Test func longChainsStillEvaluate() throws {
        var attributes = Self.attributes()
        let chain = String(repeating: "a = :v AND ", count: 370) + "b = :s"
        #expect(try ConditionExpression.parse(chain, &attributes).evaluate(Self.sample))
        attributes = Self.attributes()
        let alternatives = String(repeating: "a = :s OR ", count: 400) + "b = :s"
        #expect(try ConditionExpression.parse(alternatives, &attributes).evaluate(Self.sample))
        attributes = Self.attributes()
        #expect(try !ConditionExpression.parse("a IN (" + Array(repeating: ":s", count: 100).joined(separator: ",") + ")", &attributes).evaluate(Self.sample))
        attributes = Self.attributes()
        #expect(errorMessage { try ConditionExpression.parse("a IN (" + Array(repeating: ":s", count: 101).joined(separator: ",") + ")", &attributes) }
                == "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: IN, number of operands: 102")
    }

    @Test func randomAttributeValueJSON() throws {
        var generator = SplitMix64(seed: 3)
        let keys = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "X"]
        func randomJSON(_ depth: Int) -> JSONValue {
            switch generator.next() % (depth > 4 ? 5 : 8) {
            case 0: return .null
            case 1: return .bool(generator.next() % 2 == 0)
            case 2: return .int(Int64(bitPattern: generator.next() % 1000))
            case 3: return .string(["", "1", "1e999", "AA==", "x", "TRUE", "-0.5", "YR=="][Int(generator.next() % 8)])
            case 4: return .double(1.5)
            case 5: return .array((0..<Int(generator.next() % 3)).map { _ in randomJSON(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int(generator.next() % 3) { members[keys[Int(generator.next() % UInt64(keys.count))]] = randomJSON(depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<3000 {
            let json = randomJSON(0)
            if let value = try? AttributeValue(json: json) {
                // What is accepted renders back to JSON that reads as the same value.
                #expect(try AttributeValue(json: value.json) == value)
                _ = value.size
            }
            _ = try? ItemCodec.item(json, member: "Item")
            _ = try? LegacyConditions.expected(json, conditionalOperator: nil)
            _ = try? LegacyConditions.attributeUpdates(json)
            _ = try? LegacyConditions.filter(json, conditionalOperator: "OR", parameter: "QueryFilter")
            _ = try? KeyCondition.legacy(json, schema: hashRange)
        }
    }
}
