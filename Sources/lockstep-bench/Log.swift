#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Progress and errors go to stderr; stdout carries only the JSON lines. Plain write(2): each message is one write,
/// and no C stdio globals are involved.
enum Log {
    static func info(_ message: String) {
        write(to: STDERR_FILENO, message + "\n")
    }

    static func error(_ message: String) {
        write(to: STDERR_FILENO, "lockstep-bench: " + message + "\n")
    }

    /// One JSON line on stdout, written at once so that a pipeline sees each scenario as it finishes.
    static func emit(_ object: JSONObject) {
        write(to: STDOUT_FILENO, object.serialized() + "\n")
    }

    private static func write(to fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { raw -> Int in
                #if canImport(Glibc)
                return Glibc.write(fd, raw.baseAddress, raw.count)
                #else
                return Darwin.write(fd, raw.baseAddress, raw.count)
                #endif
            }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
