#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A server started as `/bin/sh -c "exec COMMAND"` in a process group of its own, so that its PID is the server's and
/// stopping the group reaches anything it started.
final class ServerProcess {
    let pid: pid_t
    private(set) var exitDescription: String?
    /// User + system CPU seconds of the reaped process.
    private(set) var cpuSeconds = 0.0

    private init(pid: pid_t) { self.pid = pid }

    /// stdout and stderr go to `logPath` (appended), or are discarded.
    static func spawn(command: String, logPath: String?) throws -> ServerProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, default signal handling and an empty mask, whatever this process set up.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let arguments: [String] = ["/bin/sh", "-c", "exec " + command]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup($0.key + "=" + $0.value) }
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv + [nil], envp + [nil])
        guard rc == 0 else { throw SpawnError(description: "cannot start \(command): \(String(cString: strerror(rc)))") }
        return ServerProcess(pid: pid)
    }

    /// True once the process has exited (it is then reaped); never blocks.
    func hasExited() -> Bool {
        if exitDescription != nil { return true }
        var status: Int32 = 0
        var usage = rusage()
        let r = wait4(pid, &status, WNOHANG, &usage)
        guard r == pid else { return r < 0 }
        cpuSeconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        exitDescription = status & 0x7f == 0 ? "exit status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
        return true
    }

    /// SIGTERM to the group, SIGKILL after `grace` seconds; returns once the server is reaped.
    func stop(grace: Double = 5) async {
        guard !hasExited() else { return }
        kill(-pid, SIGTERM)
        let deadline = Monotonic.now() + UInt64(grace * 1e9)
        while !hasExited() {
            if Monotonic.now() >= deadline {
                kill(-pid, SIGKILL)
                while !hasExited() { await pause(GoDuration(milliseconds: 5)) }
                return
            }
            await pause(GoDuration(milliseconds: 1))
        }
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
}
