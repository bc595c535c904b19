/// A JSON value for the result lines; objects keep their keys in insertion order, as s3bench prints them.
enum JSONValue {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object(JSONObject)

    func write(to out: inout String) {
        switch self {
        case .int(let v): out += String(v)
        case .double(let v): out += v.isFinite ? String(v) : "0"
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let o): o.write(to: &out)
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

struct JSONObject {
    private(set) var fields: [(key: String, value: JSONValue)] = []

    init() {}

    mutating func add(_ key: String, _ value: JSONValue) { fields.append((key, value)) }
    mutating func add(_ key: String, _ value: Int) { add(key, .int(Int64(value))) }
    mutating func add(_ key: String, _ value: Int64) { add(key, .int(value)) }
    /// Rounded to three decimals, like s3bench's r3.
    mutating func add(_ key: String, _ value: Double) { add(key, .double(round3(value))) }
    mutating func add(_ key: String, _ value: String) { add(key, .string(value)) }
    mutating func add(_ key: String, _ value: Bool) { add(key, .bool(value)) }
    mutating func add(_ key: String, _ value: JSONObject) { add(key, .object(value)) }
    mutating func add(_ key: String, _ values: [Double]) { add(key, .array(values.map { .double(round3($0)) })) }
    mutating func add(_ key: String, _ values: [Int]) { add(key, .array(values.map { .int(Int64($0)) })) }
    /// A map with sorted keys, as Go's encoding/json writes one.
    mutating func add(_ key: String, _ counts: [String: Int64]) {
        var o = JSONObject()
        for k in counts.keys.sorted() { o.add(k, counts[k]!) }
        add(key, o)
    }

    func write(to out: inout String) {
        out += "{"
        for (i, field) in fields.enumerated() {
            if i > 0 { out += "," }
            JSONValue.string(field.key).write(to: &out)
            out += ":"
            field.value.write(to: &out)
        }
        out += "}"
    }

    func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }
}

func round3(_ x: Double) -> Double {
    guard x.isFinite else { return 0 }
    return (x * 1000).rounded() / 1000
}
