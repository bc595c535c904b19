#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads Linux /proc files (their size reads as 0, so they are read to the end).
enum ProcFS {
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A `Name:  value kB` field of /proc/PID/status, in KiB.
    static func statusKiB(pid: Int32, field: String) -> Int64? {
        guard let text = read("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int64($0) }
        }
        return nil
    }

    /// utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat).
    static func processTicks(pid: Int32) -> Int64? {
        guard let text = read("/proc/\(pid)/stat"), let paren = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: paren)...].split(separator: " ")
        guard fields.count > 12, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
        return user + system
    }

    /// Busy (user nice system irq softirq) and steal ticks of all CPUs, from the first line of /proc/stat.
    static func machineTicks() -> (busy: Int64, steal: Int64)? {
        guard let text = read("/proc/stat"), let line = text.split(separator: "\n").first else { return nil }
        let f = line.split(separator: " ")
        guard f.count >= 9, f[0] == "cpu" else { return nil }
        let v = f.map { Int64($0) ?? 0 }
        return (v[1] + v[2] + v[3] + v[6] + v[7], v[8])
    }

    static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The kernel's ephemeral port range, where a server port may be taken by an outgoing connection.
    static func ephemeralPortRange() -> ClosedRange<Int>? {
        guard let text = read("/proc/sys/net/ipv4/ip_local_port_range") else { return nil }
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard f.count == 2, f[0] <= f[1] else { return nil }
        return f[0]...f[1]
    }
}

/// CPU time this process has used (user + system), in seconds.
func ownCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
