/// The typed values the numeric, date and IP operators compare, parsed by hand so that only the forms IAM documents
/// are taken: decimal numbers (no hex, `inf` or `nan`), W3C ISO 8601 dates or epoch seconds, and CIDR blocks.
enum ConditionValues {
    /// `-12`, `3.5`, `1e3`: an integer or decimal, as IAM's numeric operators take.
    static func number(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        let digitsStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        var digits = index - digitsStart
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            digits += index - fractionStart
        }
        guard digits > 0 else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            let exponentStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else { return nil }
        }
        guard index == bytes.count, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Seconds since the epoch of `2024-05-01`, `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.5+02:00`, or of an
    /// epoch time written as a number (`1714564800`).
    static func date(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            return number(text)
        }
        guard let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var index = 10
        guard index < bytes.count else { return seconds }
        guard bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t") else { return nil }
        index += 1
        guard let hour = digits(bytes, index, 2), index + 5 <= bytes.count, bytes[index + 2] == UInt8(ascii: ":"),
              let minute = digits(bytes, index + 3, 2), hour <= 23, minute <= 59
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        index += 5
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let second = digits(bytes, index + 1, 2), second <= 60 else { return nil }
            seconds += Double(second)
            index += 3
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let start = index
                while index < bytes.count, isDigit(bytes[index]) {
                    seconds += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start else { return nil }
            }
        }
        guard index < bytes.count else { return seconds }
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return index + 1 == bytes.count ? seconds : nil
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Double = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let offsetHours = digits(bytes, index, 2), offsetHours <= 23 else { return nil }
            index += 2
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
            guard let offsetMinutes = digits(bytes, index, 2), offsetMinutes <= 59, index + 2 == bytes.count else {
                return nil
            }
            return seconds - sign * Double(offsetHours * 3600 + offsetMinutes * 60)
        default:
            return nil
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start >= 0, start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// An IPv4 or IPv6 block: `203.0.113.0/24`, `2001:db8::/32`; an address alone is its own block (`/32`, `/128`), as
/// IAM reads one.
struct IPNetwork: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    var address: [UInt8]
    var prefixLength: Int

    var isIPv4: Bool { address.count == 4 }

    init?(_ text: String) {
        var addressText = Substring(text)
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let prefixText = text[text.index(after: slash)...]
            guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.allSatisfy(\.isASCIIDigit),
                  let value = Int(prefixText)
            else { return nil }
            prefix = value
        }
        if let v4 = Self.ipv4(addressText) {
            address = v4
        } else if let v6 = Self.ipv6(addressText) {
            address = v6
        } else {
            return nil
        }
        let bits = address.count * 8
        guard (prefix ?? bits) <= bits else { return nil }
        prefixLength = prefix ?? bits
    }

    /// Whether `other`'s address lies inside this block; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) counts
    /// as its IPv4 address.
    func contains(_ other: IPNetwork) -> Bool {
        var candidate = other.address
        if isIPv4, candidate.count == 16, candidate[0..<10].allSatisfy({ $0 == 0 }),
           candidate[10] == 0xFF, candidate[11] == 0xFF {
            candidate = Array(candidate[12..<16])
        }
        guard candidate.count == address.count else { return false }
        var remaining = prefixLength
        for index in 0..<address.count where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard address[index] & mask == candidate[index] & mask else { return false }
            remaining -= 8
        }
        return true
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let value = Int(part), value <= 255
            else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (offset, piece) in pieces.enumerated() {
                if offset == pieces.count - 1, piece.contains(".") {
                    guard let v4 = ipv4(piece) else { return nil }
                    bytes += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16),
                      piece.allSatisfy(\.isHexDigit)
                else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
