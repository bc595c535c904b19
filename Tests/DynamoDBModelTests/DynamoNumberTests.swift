import AWSJSON
import DynamoDBModel
import LockstepTestSupport
import Testing

/// The message of the AWSJSONError a throwing call ends with ("not AWSJSONError: …" for any other error), or nil if
/// it succeeds.
func errorMessage<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as AWSJSONError {
        return error.message
    } catch {
        return "not AWSJSONError: \(error)"
    }
}

func errorType<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as AWSJSONError {
        return error.type
    } catch {
        return "not AWSJSONError"
    }
}

func number(_ text: String) -> DynamoNumber { DynamoNumber(text)! }

@Suite struct DynamoNumberTests {
    // "Numbers are variable length, with up to 38 significant digits. Leading and trailing zeroes are trimmed."
    // (Developer Guide, Naming rules and data types / Number)
    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("+0", "0"), ("0.000", "0"), ("0e99999", "0"), ("00", "0"),
        ("01.50", "1.5"), ("1e3", "1000"), ("1E3", "1000"), ("1e+3", "1000"), ("15E-1", "1.5"), ("+7", "7"),
        ("-12.500", "-12.5"), (".5", "0.5"), ("5.", "5"), ("-.25", "-0.25"), ("1000", "1000"), ("0.001", "0.001"),
        ("123.456", "123.456"), ("-1e-3", "-0.001"), ("1.23e2", "123"), ("1.23e1", "12.3"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1E+125", "1" + String(repeating: "0", count: 125)),
        ("1E-130", "0." + String(repeating: "0", count: 129) + "1"),
        ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + String(repeating: "0", count: 88)),
        ("100000000000000000000000000000000000000000000000", "100000000000000000000000000000000000000000000000"),
    ])
    func normalizes(_ input: String, _ expected: String) throws {
        #expect(try DynamoNumber.parse(input).description == expected)
    }

    @Test(arguments: ["a", "1a", "1.2.3", "--1", "+-1", "1e", "1e+", "e5", ".", "-", "1 ", " 1", "0x10", "Infinity", "NaN", "1,5", "1e1.5"])
    func rejectsSyntax(_ input: String) {
        #expect(DynamoNumber(input) == nil)
        #expect(errorMessage { try DynamoNumber.parse(input) } == "The parameter cannot be converted to a numeric value: \(input)")
    }

    @Test func rejectsEmpty() {
        #expect(errorMessage { try DynamoNumber.parse("") } == "The parameter cannot be converted to a numeric value")
    }

    @Test func precisionIs38Digits() {
        let digits38 = String(repeating: "9", count: 38)
        #expect(DynamoNumber(digits38) != nil)
        #expect(DynamoNumber("0." + digits38) != nil)
        #expect(DynamoNumber(digits38 + "000000") != nil)
        #expect(errorMessage { try DynamoNumber.parse(digits38 + "1") } == "Attempting to store more than 38 significant digits in a Number")
        #expect(errorMessage { try DynamoNumber.parse("1." + String(repeating: "0", count: 37) + "1") }
                == "Attempting to store more than 38 significant digits in a Number")
        #expect(errorMessage { try DynamoNumber.parse("-1." + String(repeating: "0", count: 36) + "1") } == nil)
    }

    @Test func rangeLimits() {
        let overflow = "Number overflow. Attempting to store a number with magnitude larger than supported range"
        let underflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        #expect(errorMessage { try DynamoNumber.parse("1E+126") } == overflow)
        #expect(errorMessage { try DynamoNumber.parse("-1E+126") } == overflow)
        #expect(errorMessage { try DynamoNumber.parse("10E+125") } == overflow)
        #expect(errorMessage { try DynamoNumber.parse("1e999999999999999999999") } == overflow)
        #expect(errorMessage { try DynamoNumber.parse("1E-131") } == underflow)
        #expect(errorMessage { try DynamoNumber.parse("0.1E-130") } == underflow)
        #expect(errorMessage { try DynamoNumber.parse("-1e-999999999999999999") } == underflow)
        #expect(DynamoNumber("9.99E+125") != nil)
        #expect(DynamoNumber("1E-130") != nil)
        #expect(DynamoNumber("-1E-130") != nil)
        // Overflow is reported before too much precision, as DynamoDB orders its checks.
        #expect(errorMessage { try DynamoNumber.parse(String(repeating: "1", count: 130)) } == overflow)
    }

    @Test func equalityIgnoresSpelling() {
        #expect(number("1.50") == number("015E-1"))
        #expect(number("-0") == number("0"))
        #expect(Set([number("1"), number("1.0"), number("10E-1")]).count == 1)
        #expect(number("1") != number("-1"))
    }

    @Test func exactArithmetic() throws {
        #expect(try number("0.1") + number("0.2") == number("0.3"))
        #expect(try (number("0.1") + number("0.2")).description == "0.3")
        #expect(try (number("1") - number("1")).description == "0")
        #expect(try (number("-5") + number("3")).description == "-2")
        #expect(try (number("5") - number("7.25")).description == "-2.25")
        #expect(try (number("-5") - number("-7")).description == "2")
        #expect(try (number("999") + number("1")).description == "1000")
        #expect(try (number("1000") - number("0.001")).description == "999.999")
        #expect(try (number("1E+100") - number("1E+100")).description == "0")
        #expect(try (number("12345678901234567890123456789012345678") + number("0")).description
                == "12345678901234567890123456789012345678")
        #expect(try (number("0") - number("3.5")).description == "-3.5")
    }

    @Test func arithmeticLimits() {
        #expect(errorMessage { try number("1E+100") + number("1") } == "Attempting to store more than 38 significant digits in a Number")
        #expect(errorMessage { try number("9.9E+125") + number("9.9E+125") }
                == "Number overflow. Attempting to store a number with magnitude larger than supported range")
        #expect(errorMessage { try number("1.1E-130") - number("1E-130") }
                == "Number underflow. Attempting to store a number with magnitude smaller than supported range")
        let big = number(String(repeating: "9", count: 38))
        #expect(errorMessage { try big + number("1") } == nil) // 1E+38: one digit
        #expect(errorMessage { try big + number("0.1") } == "Attempting to store more than 38 significant digits in a Number")
    }

    @Test func ordering() {
        let sorted = ["-1E+125", "-100", "-1.5", "-1.25", "-1", "-0.001", "-1E-130", "0", "1E-130", "0.001", "1", "1.25", "1.5", "100", "1E+125"]
            .map(number)
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(a < b)
            #expect(a.sortKeyBytes.lexicographicallyPrecedes(b.sortKeyBytes))
        }
    }

    /// memcmp order of the encoding must equal numeric order on arbitrary pairs, including shared prefixes.
    @Test func sortKeyBytesMatchNumericOrder() {
        var generator = SplitMix64(seed: 42)
        func randomNumber() -> DynamoNumber {
            let digitCount = Int(generator.next() % 38) + 1
            var text = generator.next() % 2 == 0 ? "-" : ""
            for index in 0..<digitCount {
                // Mostly small digit alphabets so that many pairs share prefixes.
                let digit = generator.next() % (index < 3 ? 3 : 10)
                text += String(digit)
            }
            let exponent = Int(generator.next() % 200) - 100
            return DynamoNumber(text + "e\(exponent)") ?? .zero
        }
        for _ in 0..<600 {
            let a = randomNumber(), b = generator.next() % 10 == 0 ? randomNumber().negated : randomNumber()
            let byBytes: Int = a.sortKeyBytes == b.sortKeyBytes ? 0 : (a.sortKeyBytes.lexicographicallyPrecedes(b.sortKeyBytes) ? -1 : 1)
            let byValue: Int = a == b ? 0 : (a < b ? -1 : 1)
            #expect(byBytes == byValue, "\(a) vs \(b)")
        }
        #expect(number("1.50").sortKeyBytes == number("1.5").sortKeyBytes)
    }

    /// "(1 byte per two significant digits) + (1 byte)", leading and trailing zeros trimmed ("DynamoDB item sizes
    /// and formats"); exactly, digit pairs align on even powers of ten and short negatives take a terminator byte.
    @Test func documentedSize() {
        #expect(number("0").size == 1)
        #expect(number("1").size == 2)
        #expect(number("12").size == 2)
        #expect(number("123").size == 3)
        #expect(number("1234").size == 3)
        #expect(number("1000000").size == 2)
        #expect(number("0.0012").size == 2)
        #expect(number("0.012").size == 3)
        #expect(number("123.45").size == 4)
        #expect(number("-1").size == 3)
        #expect(number(String(repeating: "7", count: 38)).size == 20)
        #expect(number("-" + String(repeating: "7", count: 38)).size == 21)
        #expect(number("-" + String(repeating: "7", count: 39 - 1) + "E+50").size == 21)
    }
}
