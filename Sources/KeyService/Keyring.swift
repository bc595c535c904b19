import Foundation
import LockstepCrypto

/// One symmetric KMS key: its state and every generation of key material (rotation adds one; old ones stay so data
/// keys wrapped under them can still be unwrapped — nothing is re-encrypted).
public struct KMSKey: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case enabled = "Enabled", disabled = "Disabled", pendingDeletion = "PendingDeletion" }

    public struct Material: Codable, Sendable, Equatable {
        public var version: Int
        public var createdMillis: Int64
        /// Base64 of the 32-byte AES-256 key. Only ever written inside the encrypted keyring.
        var secret: String
    }

    public var id: String
    public var description: String
    public var state: State
    public var createdMillis: Int64
    public var deletionMillis: Int64?
    public var rotationEnabled: Bool
    public var materials: [Material]
    public var tags: [String: String]
    /// `CUSTOMER` for keys made through CreateKey, `AWS` for the managed `aws/s3` key (nil reads as `CUSTOMER`).
    public var keyManager: String?
    /// The hidden key that wraps SSE-S3 data keys; not visible through the KMS API.
    public var isServiceKey: Bool?
    /// Days between automatic rotations as set by EnableKeyRotation (nil reads as 365). Informational: Lockstep
    /// rotates only on request.
    public var rotationPeriodInDays: Int?

    public var currentMaterialVersion: Int { materials.last?.version ?? 0 }
    public var isAWSManaged: Bool { keyManager == "AWS" }
}

/// One alias as listed: the key it names and when it was made and last pointed at that key (nil for aliases made
/// before the keyring recorded dates).
public struct KMSAlias: Sendable, Equatable {
    public var name: String
    public var targetKeyId: String
    public var createdMillis: Int64?
    public var lastUpdatedMillis: Int64?

    public init(name: String, targetKeyId: String, createdMillis: Int64? = nil, lastUpdatedMillis: Int64? = nil) {
        self.name = name; self.targetKeyId = targetKeyId; self.createdMillis = createdMillis; self.lastUpdatedMillis = lastUpdatedMillis
    }
}

/// The one account Lockstep serves, as it appears in ARNs.
public enum LockstepAccount {
    public static let id = "000000000000"

    public static func keyARN(region: String, keyId: String) -> String { "arn:aws:kms:\(region):\(id):key/\(keyId)" }
    public static func aliasARN(region: String, alias: String) -> String { "arn:aws:kms:\(region):\(id):\(alias)" }
}

public enum KeyringError: Error, Equatable, Sendable {
    case wrongRootKey
    case corrupt(String)
    case notFound(String)
    case disabled(String)
    case pendingDeletion(String)
    case invalidCiphertext
    case io(String)
}

/// The encrypted file of KMS keys (`keyring` in the data dir), sealed with AES-256-GCM under the root key.
/// Data keys are wrapped under a key's current material with the encryption context bound as associated data.
public final class Keyring: @unchecked Sendable {
    // Unchecked: `document` is only read or changed under `lock`; the rest is constant.
    private struct Document: Codable, Equatable {
        var keys: [KMSKey]
        var aliases: [String: String]
        /// Optional so keyrings written before it existed still decode.
        var aliasDates: [String: AliasDates]?

        mutating func point(_ alias: String, to id: String, at time: Int64) {
            aliases[alias] = id
            var dates = aliasDates ?? [:]
            dates[alias] = AliasDates(created: dates[alias]?.created ?? time, updated: time)
            aliasDates = dates
        }

        mutating func removeAlias(_ alias: String) {
            aliases.removeValue(forKey: alias)
            aliasDates?.removeValue(forKey: alias)
        }
    }

    private struct AliasDates: Codable, Equatable {
        var created: Int64
        var updated: Int64
    }

    public static let fileName = "keyring"
    static let fileAAD = Array("lockstep keyring v1".utf8)
    static let blobMagic = Array("LSK1".utf8)

    private let path: String
    private let rootKey: [UInt8]
    private let lock = NSLock()
    private var document = Document(keys: [], aliases: [:])
    /// Milliseconds since the epoch; keys scheduled for deletion are deleted once it passes their deletion date.
    public let now: @Sendable () -> Int64

    public static let awsS3Alias = "alias/aws/s3"

    /// Opens the keyring in `dataDirectory`, or starts an empty one. A keyring that does not open under this root key
    /// is an error, never silently replaced. Alias names are stored with their `alias/` prefix.
    public init(dataDirectory: String, rootKey: RootKey,
                now: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }) throws {
        path = dataDirectory + "/" + Self.fileName
        self.rootKey = rootKey.bytes
        self.now = now
        guard let sealed = FileManager.default.contents(atPath: path) else { return }
        let bytes = Array(sealed)
        guard bytes.count >= 12 + 16 else { throw KeyringError.corrupt("the keyring file is too short") }
        let nonce = Array(bytes[0..<12]), tag = Array(bytes[12..<28]), ciphertext = Array(bytes[28...])
        let plaintext: [UInt8]
        do {
            plaintext = try AESGCM.open(key: self.rootKey, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: Self.fileAAD)
        } catch {
            throw KeyringError.wrongRootKey
        }
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(plaintext))
        } catch {
            throw KeyringError.corrupt("the keyring does not decode: \(error)")
        }
    }

    public var keys: [KMSKey] {
        purgeDeletedKeys()
        return lock.withLock { document.keys }
    }
    public var aliases: [String: String] {
        purgeDeletedKeys()
        return lock.withLock { document.aliases }
    }

    public func key(_ id: String) throws -> KMSKey {
        purgeDeletedKeys()
        return try lock.withLock {
            guard let key = document.keys.first(where: { $0.id == id }) else { throw KeyringError.notFound(id) }
            return key
        }
    }

    /// A key named the ways AWS accepts: key id, key ARN, `alias/NAME`, or alias ARN. ARNs must name this account.
    public func resolve(_ reference: String) throws -> KMSKey {
        var name = reference
        if reference.hasPrefix("arn:") {
            let fields = reference.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[2] == "kms", fields[4] == Substring(LockstepAccount.id) else { throw KeyringError.notFound(reference) }
            name = String(fields[5])
            if name.hasPrefix("key/") { name = String(name.dropFirst(4)) }
        }
        if name.hasPrefix("alias/") {
            guard let id = aliases[name] else { throw KeyringError.notFound(reference) }
            return try key(id)
        }
        do { return try key(name) } catch { throw KeyringError.notFound(reference) }
    }

    public func createKey(description: String = "", tags: [String: String] = [:], nowMillis: Int64) throws -> KMSKey {
        let key = Self.newKey(description: description, tags: tags, nowMillis: nowMillis, keyManager: "CUSTOMER")
        try mutate { $0.keys.append(key) }
        return key
    }

    private static func newKey(description: String, tags: [String: String], nowMillis: Int64, keyManager: String,
                               isServiceKey: Bool? = nil) -> KMSKey {
        KMSKey(id: UUID().uuidString.lowercased(), description: description, state: .enabled, createdMillis: nowMillis,
               deletionMillis: nil, rotationEnabled: keyManager == "AWS",
               materials: [KMSKey.Material(version: 1, createdMillis: nowMillis, secret: Base64.encode(secureRandomBytes(32)))],
               tags: tags, keyManager: keyManager, isServiceKey: isServiceKey)
    }

    /// The AWS managed key S3 uses for SSE-KMS when no key is named (`alias/aws/s3`), created on first use.
    public func awsManagedS3Key() throws -> KMSKey {
        if let id = aliases[Self.awsS3Alias] { return try key(id) }
        let time = now()
        return try findOrCreate(where: { document in document.aliases[Self.awsS3Alias].flatMap { id in document.keys.first { $0.id == id } } }) {
            document in
            let key = Self.newKey(description: "Default key that protects my S3 objects when no other key is defined", tags: [:],
                                  nowMillis: time, keyManager: "AWS")
            document.keys.append(key)
            document.point(Self.awsS3Alias, to: key.id, at: time)
            return key
        }
    }

    /// The hidden key that wraps SSE-S3 data keys, created on first use.
    public func serviceKey() throws -> KMSKey {
        if let key = lock.withLock({ document.keys.first { $0.isServiceKey == true } }) { return key }
        let time = now()
        return try findOrCreate(where: { $0.keys.first { $0.isServiceKey == true } }) { document in
            let key = Self.newKey(description: "Lockstep SSE-S3 service key", tags: [:], nowMillis: time, keyManager: "AWS", isServiceKey: true)
            document.keys.append(key)
            return key
        }
    }

    /// Checks and creates under the one lock, so concurrent first uses agree on one key.
    private func findOrCreate(where find: (Document) -> KMSKey?, create: (inout Document) -> KMSKey) throws -> KMSKey {
        var result: KMSKey?
        try mutate { document in
            if let existing = find(document) { result = existing; return }
            result = create(&document)
        }
        return result!
    }

    /// Deletes keys whose scheduled deletion date has passed on the keyring's clock, with their aliases and material.
    func purgeDeletedKeys() {
        let time = now()
        let due = lock.withLock { document.keys.contains { $0.state == .pendingDeletion && ($0.deletionMillis ?? .max) <= time } }
        guard due else { return }
        try? mutate { document in
            let gone = Set(document.keys.filter { $0.state == .pendingDeletion && ($0.deletionMillis ?? .max) <= time }.map(\.id))
            document.keys.removeAll { gone.contains($0.id) }
            for (alias, id) in document.aliases where gone.contains(id) { document.removeAlias(alias) }
        }
    }

    /// Adds a new generation of key material; later wraps use it, earlier wraps still unwrap.
    @discardableResult
    public func rotate(_ id: String, nowMillis: Int64) throws -> KMSKey {
        try update(id) { key in
            let next = KMSKey.Material(version: key.currentMaterialVersion + 1, createdMillis: nowMillis,
                                       secret: Base64.encode(secureRandomBytes(32)))
            key.materials.append(next)
        }
    }

    @discardableResult
    public func update(_ id: String, _ change: (inout KMSKey) throws -> Void) throws -> KMSKey {
        var updated: KMSKey?
        try mutate { document in
            guard let index = document.keys.firstIndex(where: { $0.id == id }) else { throw KeyringError.notFound(id) }
            try change(&document.keys[index])
            updated = document.keys[index]
        }
        return updated!
    }

    public func setAlias(_ alias: String, to id: String?) throws {
        let time = now()
        try mutate { document in
            if let id { document.point(alias, to: id, at: time) } else { document.removeAlias(alias) }
        }
    }

    /// Creates `alias` for the key `id` unless the name is taken (false then), in one step so two creators of one
    /// name cannot both succeed.
    public func addAlias(_ alias: String, to id: String) throws -> Bool {
        let time = now()
        var added = false
        try mutate { document in
            guard document.aliases[alias] == nil else { return }
            guard document.keys.contains(where: { $0.id == id }) else { throw KeyringError.notFound(id) }
            document.point(alias, to: id, at: time)
            added = true
        }
        return added
    }

    /// Every alias with its dates, sorted by name.
    public var aliasEntries: [KMSAlias] {
        purgeDeletedKeys()
        return lock.withLock {
            document.aliases.map { name, id in
                let dates = document.aliasDates?[name]
                return KMSAlias(name: name, targetKeyId: id, createdMillis: dates?.created, lastUpdatedMillis: dates?.updated)
            }.sorted { $0.name < $1.name }
        }
    }

    /// The key id a `wrap` blob names, without unwrapping it; nil when the blob is not one.
    public static func keyId(ofWrapped blob: [UInt8]) -> String? { wrapHeader(blob)?.keyId }

    /// A `wrap` blob's header: magic, key id length and id, material version. nil when the blob is not one (or too short
    /// to hold the nonce and tag after the header).
    private static func wrapHeader(_ blob: [UInt8]) -> (keyId: String, materialVersion: Int, length: Int)? {
        guard blob.count > 5, Array(blob[0..<4]) == blobMagic else { return nil }
        let idLength = Int(blob[4])
        let length = 5 + idLength + 4
        guard blob.count >= length + 12 + 16 else { return nil }
        let keyId = String(decoding: blob[5..<(5 + idLength)], as: UTF8.self)
        let version = Int(blob[(5 + idLength)..<length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        return (keyId, version, length)
    }

    /// Wraps a data key under the key's current material. The blob names the key and material version, so unwrapping
    /// needs no key id; the encryption context is bound as associated data.
    public func wrap(dataKey: [UInt8], keyId: String, context: [String: String] = [:]) throws -> [UInt8] {
        let key = try usableKey(keyId)
        guard let material = key.materials.last, let secret = Base64.decode(material.secret) else { throw KeyringError.corrupt(keyId) }
        let idBytes = Array(key.id.utf8)
        var header = Self.blobMagic
        header.append(UInt8(idBytes.count))
        header += idBytes
        header += withUnsafeBytes(of: UInt32(material.version).bigEndian) { Array($0) }
        let nonce = secureRandomBytes(12)
        let sealed = try AESGCM.seal(key: secret, nonce: nonce, plaintext: dataKey, aad: header + Self.canonical(context))
        return header + nonce + sealed.tag + sealed.ciphertext
    }

    public func unwrap(_ blob: [UInt8], context: [String: String] = [:]) throws -> (keyId: String, materialVersion: Int, dataKey: [UInt8]) {
        guard let (keyId, version, headerLength) = Self.wrapHeader(blob) else { throw KeyringError.invalidCiphertext }
        let key = try usableKey(keyId)
        guard let material = key.materials.first(where: { $0.version == version }), let secret = Base64.decode(material.secret) else {
            throw KeyringError.invalidCiphertext
        }
        let header = Array(blob[0..<headerLength])
        let nonce = Array(blob[headerLength..<(headerLength + 12)])
        let tag = Array(blob[(headerLength + 12)..<(headerLength + 28)])
        let ciphertext = Array(blob[(headerLength + 28)...])
        do {
            let dataKey = try AESGCM.open(key: secret, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: header + Self.canonical(context))
            return (keyId, version, dataKey)
        } catch {
            throw KeyringError.invalidCiphertext
        }
    }

    /// SSE-C: wraps a data key under the customer's own key (which Lockstep never stores). The blob is nonce ‖ tag ‖
    /// ciphertext, AES-256-GCM with a fixed associated data.
    public static func wrap(dataKey: [UInt8], customerKey: [UInt8]) throws -> [UInt8] {
        let nonce = secureRandomBytes(AESGCM.nonceSize)
        let sealed = try AESGCM.seal(key: customerKey, nonce: nonce, plaintext: dataKey, aad: customerWrapAAD)
        return nonce + sealed.tag + sealed.ciphertext
    }

    /// The data key an SSE-C blob holds; nil when the customer key is not the one it was wrapped with (or the blob is not
    /// one).
    public static func unwrap(customerWrapped blob: [UInt8], customerKey: [UInt8]) -> [UInt8]? {
        guard blob.count == AESGCM.nonceSize + 16 + FramedCipher.keySize else { return nil }
        let tagEnd = AESGCM.nonceSize + 16
        return try? AESGCM.open(key: customerKey, nonce: Array(blob[0..<AESGCM.nonceSize]), ciphertext: Array(blob[tagEnd...]),
                                tag: Array(blob[AESGCM.nonceSize..<tagEnd]), aad: customerWrapAAD)
    }

    static let customerWrapAAD = Array("lockstep sse-c v1".utf8)

    private func usableKey(_ id: String) throws -> KMSKey {
        let key = try self.key(id)
        switch key.state {
        case .enabled: return key
        case .disabled: throw KeyringError.disabled(id)
        case .pendingDeletion: throw KeyringError.pendingDeletion(id)
        }
    }

    /// Sorted `key=value` lines: the same context always gives the same associated data.
    static func canonical(_ context: [String: String]) -> [UInt8] {
        Array(context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined().utf8)
    }

    /// Applies a change and persists the whole keyring durably (temp file, fsync, rename, fsync directory).
    private func mutate(_ change: (inout Document) throws -> Void) throws {
        try lock.withLock {
            var next = document
            try change(&next)
            // A change that changed nothing (a key or alias found already there) costs no fsync'd rewrite.
            guard next != document else { return }
            let plaintext = Array(try JSONEncoder().encode(next))
            let nonce = secureRandomBytes(12)
            let sealed = try AESGCM.seal(key: rootKey, nonce: nonce, plaintext: plaintext, aad: Self.fileAAD)
            let bytes = nonce + sealed.tag + sealed.ciphertext
            let tmp = path + ".tmp"
            unlink(tmp)
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw KeyringError.io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let synced = fsync(fd)
            close(fd)
            guard written == bytes.count, synced == 0, rename(tmp, path) == 0 else {
                throw KeyringError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            try fsyncDirectory(of: path)
            document = next
        }
    }
}
