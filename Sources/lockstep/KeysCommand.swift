import ArgumentParser
import Foundation
import KeyService
import LockstepServer

/// `lockstep keys …`: the keyring of a stopped server's data directory, opened directly. A running server owns its
/// keyring (it holds the data-dir lock), so then the KMS API is the way in.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and change the KMS keys of a data directory while no server runs on it.",
        subcommands: [List.self, Create.self, Rotate.self, Disable.self, Enable.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the root key and every key: aliases, state, material, rotation.")
        @OptionGroup var options: KeyringOptions

        func run() throws {
            try options.withKeyring { opened in
                print(KeyringTable.render(opened.keyring, rootKey: opened.rootKey.source, dataDirectory: opened.dataDirectory), terminator: "")
            }
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a customer managed key.")
        @OptionGroup var options: KeyringOptions
        @Option(help: "Description of the key.") var description = ""
        @Option(help: "Alias for the key, alias/NAME.") var alias: String?

        func validate() throws {
            if let alias { try KeyringOptions.checkAlias(alias) }
            if description.count > 8192 { throw ValidationError("--description must be at most 8192 characters") }
        }

        func run() throws {
            try options.withKeyring { opened in
                let keyring = opened.keyring
                // Checked before creating the key, so a taken alias leaves no key behind; the lock keeps it true.
                if let alias, keyring.aliases[alias] != nil { throw KeysCommandError("the alias \(alias) already exists") }
                let key = try keyring.createKey(description: description, tags: [:], nowMillis: keyring.now())
                if let alias {
                    guard try keyring.addAlias(alias, to: key.id) else { throw KeysCommandError("the alias \(alias) already exists") }
                    print("created key \(key.id) with alias \(alias)")
                } else {
                    print("created key \(key.id)")
                }
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add new key material; older ciphertexts still decrypt.")
        @OptionGroup var options: KeyringOptions
        @Argument(help: "Key id, key ARN or alias.") var key: String

        func run() throws {
            try options.withKeyring { opened in
                let found = try opened.find(key)
                try KeyringOptions.requireEnabled(found, verb: "rotate")
                let rotated = try opened.keyring.rotate(found.id, nowMillis: opened.keyring.now())
                print("rotated key \(found.id): material version \(rotated.currentMaterialVersion) is now current")
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a customer managed key: its ciphertexts and objects become unreadable.")
        @OptionGroup var options: KeyringOptions
        @Argument(help: "Key id, key ARN or alias.") var key: String

        func run() throws { try options.setState(of: key, to: .disabled, verb: "disable") }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled customer managed key.")
        @OptionGroup var options: KeyringOptions
        @Argument(help: "Key id, key ARN or alias.") var key: String

        func run() throws { try options.setState(of: key, to: .enabled, verb: "enable") }
    }
}

/// A one-line failure of a `keys` command (main prints it and exits 2).
struct KeysCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct KeyringOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (env LOCKSTEP_DATA_DIR, default ./.lockstep).") var dataDir: String?
    @Option(name: .customLong("root-key-file"), help: "File holding the base64 root key (env LOCKSTEP_ROOT_KEY holds the key itself; default: root.key in the data dir).")
    var rootKeyFile: String?

    struct Opened {
        let keyring: Keyring
        let rootKey: RootKey
        let dataDirectory: String

        /// A key by id, ARN or alias.
        func find(_ reference: String) throws -> KMSKey {
            do {
                return try keyring.resolve(reference)
            } catch KeyringError.notFound {
                throw KeysCommandError("no key \(reference) in \(dataDirectory)")
            }
        }
    }

    /// `disable` and `enable`: a customer managed key not pending deletion.
    func setState(of reference: String, to state: KMSKey.State, verb: String) throws {
        try withKeyring { opened in
            let found = try opened.find(reference)
            try Self.requireCustomerManaged(found, verb: verb)
            try Self.requireNotPendingDeletion(found, verb: verb)
            try opened.keyring.update(found.id) { $0.state = state }
            print("\(verb)d key \(found.id)")
        }
    }

    /// Runs `body` on the opened keyring while holding the data-dir lock.
    func withKeyring(_ body: (Opened) throws -> Void) throws {
        let (opened, lock) = try open()
        // The lock must outlive every change `body` makes, not just its last use here.
        try withExtendedLifetime(lock) { try body(opened) }
    }

    /// Takes the data-dir lock and opens the keyring. Never creates a data directory, keyring or root key: a typo in
    /// `--data-dir` must not look like an empty keyring, nor leave a new root key behind.
    private func open() throws -> (Opened, DataDirectoryLock) {
        let env = ProcessInfo.processInfo.environment
        let directory = dataDir ?? env["LOCKSTEP_DATA_DIR"] ?? ServerConfiguration().dataDirectory
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KeysCommandError("no data directory at \(directory)")
        }
        let keyringPath = directory + "/" + Keyring.fileName
        // Without a lock file no server has run here: report the missing keyring without creating one.
        if !files.fileExists(atPath: keyringPath) && !files.fileExists(atPath: directory + "/" + DataDirectoryLock.fileName) {
            throw Self.noKeyring(directory)
        }
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(dataDirectory: directory)
        } catch DataDirectoryLock.Failure.held {
            throw KeysCommandError("a Lockstep server is running on \(directory); use its KMS API instead "
                                   + "(aws kms ... --endpoint-url http://HOST:PORT)")
        }
        guard files.fileExists(atPath: keyringPath) else { throw Self.noKeyring(directory) }

        let environmentKey = env["LOCKSTEP_ROOT_KEY"]
        if environmentKey == nil && rootKeyFile == nil && !files.fileExists(atPath: directory + "/" + RootKey.fileName) {
            throw KeysCommandError("no root key for the keyring in \(directory): give the one it was made with "
                                   + "(LOCKSTEP_ROOT_KEY or --root-key-file)")
        }
        let rootKey = try RootKey.load(environment: environmentKey, file: rootKeyFile, dataDirectory: directory)
        do {
            let keyring = try Keyring(dataDirectory: directory, rootKey: rootKey)
            return (Opened(keyring: keyring, rootKey: rootKey, dataDirectory: directory), lock)
        } catch KeyringError.wrongRootKey {
            throw KeysCommandError("the keyring in \(directory) does not open with the root key \(rootKey.source.origin)")
        } catch KeyringError.corrupt(let why) {
            throw KeysCommandError("the keyring in \(directory) is damaged: \(why)")
        }
    }

    static func noKeyring(_ directory: String) -> KeysCommandError {
        KeysCommandError("no keyring in \(directory) (a server writes it when the first key is made)")
    }

    /// The rules CreateAlias applies.
    static func checkAlias(_ alias: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-")
        guard alias.hasPrefix("alias/"), alias.count > 6, alias.count <= 256, alias.allSatisfy(allowed.contains) else {
            throw ValidationError("--alias must be alias/NAME, NAME of letters, digits, '/', '_' and '-'")
        }
        if alias.hasPrefix("alias/aws/") { throw ValidationError("--alias: alias/aws/ is reserved for AWS managed keys") }
    }

    static func requireCustomerManaged(_ key: KMSKey, verb: String) throws {
        if key.isServiceKey == true { throw KeysCommandError("cannot \(verb) key \(key.id): it is Lockstep's SSE-S3 service key") }
        if key.isAWSManaged { throw KeysCommandError("cannot \(verb) key \(key.id): it is AWS managed (alias/aws/s3)") }
    }

    static func requireNotPendingDeletion(_ key: KMSKey, verb: String) throws {
        guard key.state == .pendingDeletion else { return }
        throw KeysCommandError("cannot \(verb) key \(key.id): it is pending deletion (cancel that with aws kms cancel-key-deletion)")
    }

    static func requireEnabled(_ key: KMSKey, verb: String) throws {
        try requireNotPendingDeletion(key, verb: verb)
        if key.state == .disabled { throw KeysCommandError("cannot \(verb) key \(key.id): it is disabled") }
    }
}

/// `keys list`: the root key, then one block per key.
enum KeyringTable {
    static func render(_ keyring: Keyring, rootKey: RootKey.Source, dataDirectory: String) -> String {
        let keys = keyring.keys.sorted { ($0.createdMillis, $0.id) < ($1.createdMillis, $1.id) }
        let aliases = Dictionary(grouping: keyring.aliasEntries, by: \.targetKeyId).mapValues { $0.map(\.name) }
        var out = "root key \(rootKey.origin)\n"
        out += "└─ keyring \(dataDirectory)/\(Keyring.fileName): \(keys.count) key\(keys.count == 1 ? "" : "s")\n"
        guard !keys.isEmpty else { return out }
        let header = ["KEY ID", "MANAGER", "STATE", "ROTATION", "ALIASES"]
        let rows = keys.map { key in
            [key.id, manager(key), key.state.rawValue, key.rotationEnabled ? "on" : "off",
             aliases[key.id]?.joined(separator: ", ") ?? "-"]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var text = "   "
            for (index, cell) in cells.enumerated() {
                text += index == cells.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            return text + "\n"
        }
        out += line(header)
        for (key, row) in zip(keys, rows) {
            out += line(row)
            if !key.description.isEmpty { out += "      description: \(key.description)\n" }
            for material in key.materials {
                let current = material.version == key.currentMaterialVersion ? "  (current)" : ""
                out += "      material v\(material.version)  created \(timestamp(material.createdMillis))\(current)\n"
            }
            if key.state == .pendingDeletion, let deletion = key.deletionMillis {
                out += "      deletion: \(timestamp(deletion))\n"
            }
        }
        return out
    }

    static func manager(_ key: KMSKey) -> String {
        if key.isServiceKey == true { return "SSE-S3 service key" }
        return key.keyManager ?? "CUSTOMER"
    }

    static func timestamp(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
