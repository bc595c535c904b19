#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What `/proc` says about this process, for Prometheus' standard `process_*` series (Linux; nil or now elsewhere).
enum ProcessStatistics {
    /// Resident set size: `/proc/self/statm`'s second field, in pages.
    static func residentBytes() -> Int? {
        guard let text = contents(of: "/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Seconds since 1970 at which the process started: boot time (`/proc/stat`'s `btime`) plus the process's start in
    /// clock ticks after boot (`/proc/self/stat` field 22). Now, when `/proc` cannot say.
    static func startTimeSeconds() -> Double {
        guard let stat = contents(of: "/proc/self/stat"), let system = contents(of: "/proc/stat"), let commandEnd = stat.lastIndex(of: ")") else {
            return Date().timeIntervalSince1970
        }
        // The fields after the command name start at field 3, so field 22 is the 20th of them.
        let fields = stat[stat.index(after: commandEnd)...].split(separator: " ")
        let bootLine = system.split(separator: "\n").first { $0.hasPrefix("btime ") }
        guard fields.count > 19, let ticks = Double(fields[19]), let boot = bootLine.flatMap({ Double($0.dropFirst(6)) }) else {
            return Date().timeIntervalSince1970
        }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A `/proc` file, read to its end: its size reads as 0.
    static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            text += buffer[0..<count]
        }
        return String(decoding: text, as: UTF8.self)
    }
}
