import AccessPolicy
import Foundation

/// The `policy` field of a POST Object form: a base64 JSON document with an `expiration` and `conditions` that the
/// form must meet. Signature checking is not here: the signature covers the base64 text as received, before this
/// decodes it.
struct PostPolicy: Sendable {
    /// Milliseconds since 1970 after which the policy no longer holds.
    var expiration: Int64
    var conditions: [PostPolicyCondition]

    /// Fields no condition needs to name (S3's documentation for Signature Version 4 and 2 together).
    static func isExempt(_ field: String) -> Bool {
        let field = field.lowercased()
        return ["policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"].contains(field)
            || field.hasPrefix("x-ignore-")
    }

    /// S3's `InvalidPolicyDocument` for anything that is not a policy. Checked in S3's order as far as it is known: a
    /// foreign member before a missing one, the document before its conditions.
    init(base64: String) throws(PostObjectError) {
        guard let bytes = Self.decodeBase64(base64) else { throw .policyInvalidBase64 }
        guard case .object(let members)? = try? PolicyJSON.parse(bytes, options: .postPolicy) else { throw .policyInvalidJSON }
        // The names are case-sensitive: `EXPIRATION` is not `expiration`.
        if let foreign = members.first(where: { $0.name != "expiration" && $0.name != "conditions" }) {
            throw .policyUnexpectedMember(foreign.name)
        }
        guard let expiration = members.last(where: { $0.name == "expiration" })?.value else { throw .policyMissingExpiration }
        guard case .string(let text) = expiration, let millis = Self.parseExpiration(text) else {
            if case .string(let text) = expiration { throw .policyInvalidExpiration(text) }
            throw .policyInvalidExpiration(expiration.rendered)
        }
        guard let conditions = members.last(where: { $0.name == "conditions" })?.value else { throw .policyMissingConditions }
        guard case .array(let entries) = conditions else { throw .policyConditionsNotList }
        var parsed: [PostPolicyCondition] = []
        for entry in entries { parsed.append(try PostPolicyCondition(entry)) }
        self.expiration = millis
        self.conditions = parsed
    }

    /// Whether `form`, posted to `bucket` at `nowMillis`, meets the policy: not expired, every condition met in
    /// order (values expanded as S3 expands `${filename}`; `$bucket` is the bucket posted to, whatever the form
    /// says), and every field named by some condition. The length range waits for `checkLength`.
    func check(_ form: PostForm, bucket: String, nowMillis: Int64) throws(PostObjectError) {
        guard nowMillis <= expiration else { throw .policyExpired }
        for condition in conditions {
            let value: String? = switch condition.field {
            case "bucket": bucket
            case let field?: form.expandedValue(field)
            case nil: nil
            }
            guard condition.passes(value) else { throw .policyConditionFailed(condition.rendered) }
        }
        let named = Set(conditions.compactMap { condition -> String? in
            if case .lengthRange = condition.test { return nil }
            return condition.field
        })
        let extra = form.fieldNames.filter { !Self.isExempt($0) && !named.contains($0.lowercased()) }
        guard extra.isEmpty else { throw .extraInputFields(extra) }
    }

    /// Whether a file of `size` bytes fits every `content-length-range` (bounds inclusive).
    func checkLength(_ size: Int64) throws(PostObjectError) {
        for case .lengthRange(let min?, let max?) in conditions.map(\.test) {
            if size > max { throw .entityTooLarge(proposed: size, maximum: max) }
            if size < min { throw .entityTooSmall(proposed: size, minimum: min) }
        }
    }

    /// The largest file any range allows, so an upload can stop reading once past it.
    var maxContentLength: Int64? {
        conditions.compactMap { condition -> Int64? in
            if case .lengthRange(_, let max?) = condition.test { return max }
            return nil
        }.min()
    }

    /// Standard base64; line breaks and spaces (some encoders wrap lines) and missing padding are forgiven.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var clean = String(String.UnicodeScalarView(text.unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) }))
        guard clean.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/=".contains($0)) }) else { return nil }
        if clean.count % 4 != 0, !clean.hasSuffix("=") {
            clean += String(repeating: "=", count: 4 - clean.count % 4)
        }
        return Data(base64Encoded: clean).map { Array($0) }
    }

    /// `2007-12-01T12:00:00.000Z` or without the fraction: UTC only, as S3 refuses an offset
    /// (`…T07:52:58+02:00`) and a space for the `T`.
    static func parseExpiration(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count, b[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return b[range].reduce(0) { $0 * 10 + Int64($1 - 0x30) }
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[Int(month) - 1]).contains(day) else { return nil }
        var millis: Int64 = 0
        if b.count > 20 {
            // `.` and at least one digit before the `Z`; beyond milliseconds the digits are dropped.
            let digits = b.count - 21
            guard b[19] == UInt8(ascii: "."), digits > 0, let fraction = number(20..<(b.count - 1)) else { return nil }
            millis = digits >= 3 ? Int64(String(decoding: b[20..<23], as: UTF8.self))!
                : fraction * (digits == 1 ? 100 : 10)
        } else if b[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days since 1970-01-01 in the proleptic Gregorian calendar.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + millis
    }
}
