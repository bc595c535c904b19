import ArgumentParser

/// A byte count with an optional K/M/G suffix (KiB, KB and K all mean 1024), as s3bench's size flags.
struct ByteSize: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var bytes: Int64

    init(_ bytes: Int64) { self.bytes = bytes }

    init?(argument: String) {
        var text = argument.trimmingASCIISpaces.lowercased()
        var multiplier: Double = 1
        for (suffix, m) in [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1 << 10), ("mb", 1 << 20),
                            ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        where text.hasSuffix(suffix) {
            multiplier = Double(m)
            text = String(text.dropLast(suffix.count)).trimmingASCIISpaces
            break
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        bytes = Int64(value * multiplier)
    }

    var description: String {
        for (unit, m) in [("GiB", Int64(1) << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= m && bytes % m == 0 {
            return "\(bytes / m)\(unit)"
        }
        return String(bytes)
    }

    var defaultValueDescription: String { description }
}

/// A duration in Go's syntax ("15s", "500ms", "1m30s", "5m"), as s3bench's duration flags.
struct GoDuration: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var nanoseconds: UInt64

    init(seconds: Double) { nanoseconds = UInt64(seconds * 1e9) }
    init(milliseconds: Double) { nanoseconds = UInt64(milliseconds * 1e6) }

    init?(argument: String) {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(argument.trimmingASCIISpaces)
        if rest == "0" {
            nanoseconds = 0
            return
        }
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest unit first, so "ms" is not read as "m" followed by "s".
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else { return nil }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        nanoseconds = UInt64(total)
    }

    var seconds: Double { Double(nanoseconds) / 1e9 }
    var milliseconds: Double { Double(nanoseconds) / 1e6 }

    var description: String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        return "\(nanoseconds / 1000)us"
    }

    var defaultValueDescription: String { description }

    var duration: Duration { .nanoseconds(Int64(nanoseconds)) }
}

extension String {
    var trimmingASCIISpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension NameSpecification {
    /// `-name` (as s3bench spells its flags) and `--name`.
    static func bench(_ name: String) -> NameSpecification {
        [.customLong(name, withSingleDash: true), .customLong(name)]
    }
}
