import AWSJSON

/// N: an exact decimal, up to 38 significant digits, magnitude 1E-130 ..< 1E+126 (DynamoDB's range), or zero.
///
/// Kept normalized (no leading or trailing zero digits, zero without sign), so that equal numbers are equal values
/// whatever text they came from ("1.50", "01.5", "15E-1"), and `Hashable` and `==` need nothing custom.
public struct DynamoNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// True for a number below zero; always false for zero.
    public private(set) var isNegative: Bool
    /// Significant digits (0...9), most significant first; empty for zero.
    public private(set) var digits: [UInt8]
    /// The power of ten of the first digit: the value is d0.d1d2… × 10^exponent. 0 for zero.
    public private(set) var exponent: Int

    public static let maxDigits = 38
    public static let maxExponent = 125
    public static let minExponent = -130

    public static let zero = DynamoNumber(isNegative: false, digits: [], exponent: 0)

    private init(isNegative: Bool, digits: [UInt8], exponent: Int) {
        self.isNegative = isNegative
        self.digits = digits
        self.exponent = exponent
    }

    /// DynamoDB's accepted syntax: an optional sign, digits with an optional point (".5" and "5." too), an optional
    /// exponent. Nil when the text is not a number or is outside DynamoDB's range or precision.
    public init?(_ text: String) {
        guard let number = try? Self.parse(text) else { return nil }
        self = number
    }

    public init(_ value: Int) {
        self = Self.normalized(isNegative: value < 0, digits: String(value.magnitude).utf8.map { $0 - 48 }, lastDigitPower: 0)
    }

    /// Parses with DynamoDB's ValidationException messages.
    public static func parse(_ text: String) throws(AWSJSONError) -> DynamoNumber {
        guard !text.isEmpty else { throw .validation("The parameter cannot be converted to a numeric value") }
        guard let (negative, mantissa, pointPower) = scan(Array(text.utf8)) else {
            throw .validation("The parameter cannot be converted to a numeric value: \(text)")
        }
        let number = normalized(isNegative: negative, digits: mantissa, lastDigitPower: pointPower)
        try number.checkLimits()
        return number
    }

    /// Splits the text into sign, all mantissa digits and the power of ten of the last digit, or nil for bad syntax.
    private static func scan(_ bytes: [UInt8]) -> (Bool, [UInt8], Int)? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: [UInt8] = []
        var fractionDigits = 0
        var sawPoint = false
        var sawDigit = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 48 && byte <= 57 {
                // Leading zeros carry no value; dropping them keeps huge zero-padded inputs cheap.
                if !(mantissa.isEmpty && byte == 48) { mantissa.append(byte - 48) }
                if sawPoint { fractionDigits += 1 }
                sawDigit = true
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return nil }
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count else { return nil }
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                // Clamped: anything this large is out of range anyway, and must not overflow Int.
                exponent = min(exponent * 10 + Int(byte - 48), 1_000_000_000)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        return (negative, mantissa, exponent - fractionDigits)
    }

    /// Strips leading and trailing zero digits and derives the exponent of the first digit.
    static func normalized(isNegative: Bool, digits: [UInt8], lastDigitPower: Int) -> DynamoNumber {
        guard let first = digits.firstIndex(where: { $0 != 0 }) else { return .zero }
        let last = digits.lastIndex(where: { $0 != 0 })!
        let kept = Array(digits[first...last])
        let trailingZeros = digits.count - 1 - last
        let exponent = lastDigitPower + trailingZeros + kept.count - 1
        return DynamoNumber(isNegative: isNegative, digits: kept, exponent: exponent)
    }

    /// DynamoDB's checks, in its order: overflow, underflow, then precision.
    func checkLimits() throws(AWSJSONError) {
        if isZero { return }
        if exponent > Self.maxExponent {
            throw .validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
        }
        if exponent < Self.minExponent {
            throw .validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
        }
        if digits.count > Self.maxDigits {
            throw .validation("Attempting to store more than 38 significant digits in a Number")
        }
    }

    public var isZero: Bool { digits.isEmpty }

    /// Plain decimal notation without exponent, as GetItem returns numbers: "1.5", "1000", "0.001", "-2".
    public var description: String {
        if isZero { return "0" }
        var text = isNegative ? "-" : ""
        let characters = digits.map { Character(Unicode.Scalar($0 + 48)) }
        if exponent < 0 {
            text += "0." + String(repeating: "0", count: -exponent - 1) + String(characters)
        } else if exponent >= digits.count - 1 {
            text += String(characters) + String(repeating: "0", count: exponent - (digits.count - 1))
        } else {
            text += String(characters[0...exponent]) + "." + String(characters[(exponent + 1)...])
        }
        return text
    }

    public var negated: DynamoNumber {
        isZero ? self : DynamoNumber(isNegative: !isNegative, digits: digits, exponent: exponent)
    }

    // MARK: - Order

    public static func < (a: DynamoNumber, b: DynamoNumber) -> Bool { compare(a, b) < 0 }

    /// -1, 0 or 1.
    static func compare(_ a: DynamoNumber, _ b: DynamoNumber) -> Int {
        let signA = a.isZero ? 0 : (a.isNegative ? -1 : 1)
        let signB = b.isZero ? 0 : (b.isNegative ? -1 : 1)
        if signA != signB { return signA < signB ? -1 : 1 }
        if signA == 0 { return 0 }
        let magnitude = compareMagnitude(a, b)
        return signA > 0 ? magnitude : -magnitude
    }

    private static func compareMagnitude(_ a: DynamoNumber, _ b: DynamoNumber) -> Int {
        if a.exponent != b.exponent { return a.exponent < b.exponent ? -1 : 1 }
        for (x, y) in zip(a.digits, b.digits) where x != y { return x < y ? -1 : 1 }
        if a.digits.count != b.digits.count { return a.digits.count < b.digits.count ? -1 : 1 }
        return 0
    }

    // MARK: - Arithmetic

    /// Exact sum; a result beyond DynamoDB's range or 38 digits is its ValidationException.
    public static func + (a: DynamoNumber, b: DynamoNumber) throws(AWSJSONError) -> DynamoNumber {
        let sum = exactSum(a, b)
        try sum.checkLimits()
        return sum
    }

    public static func - (a: DynamoNumber, b: DynamoNumber) throws(AWSJSONError) -> DynamoNumber {
        try a + b.negated
    }

    private static func exactSum(_ a: DynamoNumber, _ b: DynamoNumber) -> DynamoNumber {
        if a.isZero { return b }
        if b.isZero { return a }
        // Both as integers scaled by 10^low, least significant digit first.
        let low = min(a.exponent - (a.digits.count - 1), b.exponent - (b.digits.count - 1))
        let x = a.scaledDigits(low), y = b.scaledDigits(low)
        if a.isNegative == b.isNegative {
            var result: [UInt8] = []
            var carry: UInt8 = 0
            for index in 0..<max(x.count, y.count) {
                let total = (index < x.count ? x[index] : 0) + (index < y.count ? y[index] : 0) + carry
                result.append(total % 10)
                carry = total / 10
            }
            if carry > 0 { result.append(carry) }
            return normalized(isNegative: a.isNegative, digits: result.reversed(), lastDigitPower: low)
        }
        // Opposite signs: subtract the smaller magnitude from the larger; the sign is the larger one's.
        let order = compareMagnitude(a, b)
        if order == 0 { return .zero }
        let (big, small, negative) = order > 0 ? (x, y, a.isNegative) : (y, x, b.isNegative)
        var result: [UInt8] = []
        var borrow: Int = 0
        for index in 0..<big.count {
            var value = Int(big[index]) - borrow - Int(index < small.count ? small[index] : 0)
            borrow = value < 0 ? 1 : 0
            if value < 0 { value += 10 }
            result.append(UInt8(value))
        }
        return normalized(isNegative: negative, digits: result.reversed(), lastDigitPower: low)
    }

    /// Digits of |self| / 10^low as an integer, least significant first.
    private func scaledDigits(_ low: Int) -> [UInt8] {
        let lastPower = exponent - (digits.count - 1)
        return Array(repeating: 0, count: lastPower - low) + digits.reversed()
    }

    // MARK: - Encodings

    /// Order-preserving bytes: memcmp order equals numeric order, and equal numbers give equal bytes. Each encoding
    /// ends with a terminator, so none is a prefix of another and keys built from them can be concatenated.
    ///
    /// Negative: 0x01, 255 - (exponent + 130), digits as 10 - d, 0xFF. Zero: 0x02. Positive: 0x03,
    /// exponent + 130, digits as d + 1, 0x00. A larger exponent (positive) or a smaller one (negative) sorts later;
    /// digit bytes never equal either terminator, and each terminator sorts as "no more digits" should.
    public var sortKeyBytes: [UInt8] {
        if isZero { return [0x02] }
        let biased = UInt8(exponent - Self.minExponent)
        if isNegative {
            return [0x01, 255 - biased] + digits.map { 10 - $0 } + [0xFF]
        }
        return [0x03, biased] + digits.map { $0 + 1 } + [0x00]
    }

    /// The bytes DynamoDB counts for the number: its internal encoding, an exponent byte and one byte per pair of
    /// digits aligned on even powers of ten (so "about one byte per two significant digits, plus one", as documented),
    /// and a terminator byte for short negative numbers. Zero is one byte.
    public var size: Int {
        if isZero { return 1 }
        let integerDigits = exponent + 1
        let padded = digits.count + (integerDigits % 2 != 0 ? 1 : 0)
        let pairs = (padded + 1) / 2
        return 1 + pairs + (isNegative && pairs < 20 ? 1 : 0)
    }
}
