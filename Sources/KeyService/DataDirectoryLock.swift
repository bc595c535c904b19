import Foundation

/// An exclusive `flock` on `<data dir>/lockstep.lock`, held by a running server for its whole life and briefly by the
/// `lockstep keys` commands, so two processes never rewrite the keyring (or serve one data dir) at once.
public final class DataDirectoryLock: Sendable {
    public static let fileName = "lockstep.lock"
    private let fd: Int32

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case held(String)
        case unusable(String)

        public var description: String {
            switch self {
            case .held(let dir): return "another Lockstep process is using the data directory \(dir)"
            case .unusable(let why): return why
            }
        }
    }

    /// Takes the lock without waiting; `.held` when another process has it.
    public init(dataDirectory: String) throws {
        let path = dataDirectory + "/" + Self.fileName
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.unusable("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            throw busy ? Failure.held(dataDirectory) : Failure.unusable("cannot lock \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }
}
