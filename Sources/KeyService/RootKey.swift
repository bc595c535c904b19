import Foundation
import LockstepCrypto

/// The key that encrypts the keyring: from `LOCKSTEP_ROOT_KEY` (base64, 32 bytes), from `--root-key-file`, or generated
/// into the data dir (mode 0600) on first start. Losing it makes every encrypted object unreadable — by design.
public struct RootKey: Sendable {
    public enum Source: Sendable, Equatable {
        case environment
        case file(String)
        case generated(String)
        case existing(String)

        /// Where the key came from, for messages and the banner.
        public var origin: String {
            switch self {
            case .environment: return "from LOCKSTEP_ROOT_KEY"
            case .file(let path): return "from \(path)"
            case .generated(let path): return "generated into \(path)"
            case .existing(let path): return "from \(path)"
            }
        }
    }

    public let bytes: [UInt8]
    public let source: Source

    public static let fileName = "root.key"

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case unreadable(String)

        public var description: String {
            switch self {
            case .invalid(let why), .unreadable(let why): return why
            }
        }
    }

    public init(bytes: [UInt8], source: Source) {
        self.bytes = bytes
        self.source = source
    }

    /// - Parameters:
    ///   - environment: the value of `LOCKSTEP_ROOT_KEY`, if set.
    ///   - file: `--root-key-file`, if given.
    public static func load(environment: String?, file: String?, dataDirectory: String) throws -> RootKey {
        if let environment {
            return RootKey(bytes: try decode(environment, from: "LOCKSTEP_ROOT_KEY"), source: .environment)
        }
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw LoadError.unreadable("cannot read the root key file \(file)")
            }
            return RootKey(bytes: try decode(text, from: file), source: .file(file))
        }
        let path = dataDirectory + "/" + fileName
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw LoadError.unreadable("cannot read the root key file \(path)")
            }
            return RootKey(bytes: try decode(text, from: path), source: .existing(path))
        }
        let bytes = secureRandomBytes(32)
        try writePrivateFile(path, contents: Base64.encode(bytes) + "\n")
        return RootKey(bytes: bytes, source: .generated(path))
    }

    static func decode(_ text: String, from origin: String) throws -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Base64.decode(trimmed), bytes.count == 32 else {
            throw LoadError.invalid("the root key in \(origin) must be 32 bytes, base64-encoded")
        }
        return bytes
    }
}

/// Writes a new file readable by its owner only, durably (fsync file and directory).
func writePrivateFile(_ path: String, contents: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw RootKey.LoadError.unreadable("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let bytes = Array(contents.utf8)
    guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count, fsync(fd) == 0 else {
        throw RootKey.LoadError.unreadable("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    try fsyncDirectory(of: path)
}

func fsyncDirectory(of path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    _ = fsync(fd)
}
