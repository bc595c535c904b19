import Foundation
@testable import KeyService
import LockstepCrypto
import Testing

@Suite struct KeyringTests {
    /// A new directory under the temp dir; each test removes its own when it ends.
    func freshDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "lockstep-keyring-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func generatedRootKeyIsPrivateAndReused() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try RootKey.load(environment: nil, file: nil, dataDirectory: dir)
        #expect(first.source == .generated(dir + "/root.key"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/root.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let second = try RootKey.load(environment: nil, file: nil, dataDirectory: dir)
        #expect(second.bytes == first.bytes)
        #expect(second.source == .existing(dir + "/root.key"))
    }

    @Test func rootKeyFromEnvironmentMustBe32Base64Bytes() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = secureRandomBytes(32)
        #expect(try RootKey.load(environment: Base64.encode(key), file: nil, dataDirectory: dir).bytes == key)
        #expect(throws: RootKey.LoadError.self) { try RootKey.load(environment: Base64.encode(secureRandomBytes(16)), file: nil, dataDirectory: dir) }
        #expect(throws: RootKey.LoadError.self) { try RootKey.load(environment: "not base64", file: nil, dataDirectory: dir) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/root.key"), "an explicit key is never written to disk")
    }

    @Test func keysPersistAndOnlyOpenUnderTheSameRootKey() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = RootKey(bytes: secureRandomBytes(32), source: .environment)
        let keyring = try Keyring(dataDirectory: dir, rootKey: root)
        let key = try keyring.createKey(description: "state", nowMillis: 1000)
        let blob = try keyring.wrap(dataKey: Array(repeating: 7, count: 32), keyId: key.id)

        let reopened = try Keyring(dataDirectory: dir, rootKey: root)
        #expect(try reopened.key(key.id) == key)
        #expect(try reopened.unwrap(blob).dataKey == Array(repeating: 7, count: 32))

        #expect(throws: KeyringError.wrongRootKey) { try Keyring(dataDirectory: dir, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment)) }
        // The keyring file holds no key material in the clear.
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: dir + "/keyring"))
        let secret = try #require(key.materials.first?.secret)
        #expect(onDisk.range(of: Data(secret.utf8)) == nil)
        #expect(onDisk.range(of: Data(key.id.utf8)) == nil)
    }

    @Test func rotationKeepsOldMaterialAndWrapsWithTheNewest() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keyring = try Keyring(dataDirectory: dir, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment))
        let key = try keyring.createKey(nowMillis: 1)
        let dataKey = secureRandomBytes(32)
        let before = try keyring.wrap(dataKey: dataKey, keyId: key.id)
        let rotated = try keyring.rotate(key.id, nowMillis: 2)
        #expect(rotated.currentMaterialVersion == 2)
        let after = try keyring.wrap(dataKey: dataKey, keyId: key.id)
        #expect(try keyring.unwrap(before).materialVersion == 1)
        #expect(try keyring.unwrap(after).materialVersion == 2)
        #expect(try keyring.unwrap(before).dataKey == dataKey)
        #expect(try keyring.unwrap(after).dataKey == dataKey)
    }

    @Test func contextStateAndTamperingAreEnforced() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keyring = try Keyring(dataDirectory: dir, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment))
        let key = try keyring.createKey(nowMillis: 1)
        let context = ["aws:s3:arn": "arn:aws:s3:::bucket/key"]
        let blob = try keyring.wrap(dataKey: secureRandomBytes(32), keyId: key.id, context: context)
        #expect(throws: KeyringError.invalidCiphertext) { try keyring.unwrap(blob) }
        #expect(throws: KeyringError.invalidCiphertext) { try keyring.unwrap(blob, context: ["aws:s3:arn": "arn:aws:s3:::bucket/other"]) }
        #expect(throws: Never.self) { try keyring.unwrap(blob, context: context) }
        for index in [0, 10, blob.count - 1] {
            var tampered = blob
            tampered[index] ^= 1
            #expect(throws: KeyringError.self) { try keyring.unwrap(tampered, context: context) }
        }
        try keyring.update(key.id) { $0.state = .disabled }
        #expect(throws: KeyringError.disabled(key.id)) { try keyring.unwrap(blob, context: context) }
        #expect(throws: KeyringError.disabled(key.id)) { try keyring.wrap(dataKey: secureRandomBytes(32), keyId: key.id) }
        try keyring.update(key.id) { $0.state = .enabled }
        #expect(throws: Never.self) { try keyring.unwrap(blob, context: context) }
        #expect(throws: KeyringError.notFound("nope")) { try keyring.wrap(dataKey: [], keyId: "nope") }
    }

    @Test func aliasesRecordTheirDatesAndAreCreatedOnlyOnce() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock(millis: 1_000)
        let root = RootKey(bytes: secureRandomBytes(32), source: .environment)
        let keyring = try Keyring(dataDirectory: dir, rootKey: root, now: { clock.millis })
        let first = try keyring.createKey(nowMillis: 1_000)
        let second = try keyring.createKey(nowMillis: 1_000)
        #expect(try keyring.addAlias("alias/app", to: first.id))
        clock.millis = 2_000
        #expect(try !keyring.addAlias("alias/app", to: second.id), "a taken name is not re-pointed")
        #expect(keyring.aliases["alias/app"] == first.id)
        #expect(throws: KeyringError.notFound("nope")) { try keyring.addAlias("alias/other", to: "nope") }
        #expect(keyring.aliases["alias/other"] == nil)

        try keyring.setAlias("alias/app", to: second.id)
        let reopened = try Keyring(dataDirectory: dir, rootKey: root, now: { clock.millis })
        #expect(reopened.aliasEntries == [KMSAlias(name: "alias/app", targetKeyId: second.id, createdMillis: 1_000, lastUpdatedMillis: 2_000)])

        try reopened.setAlias("alias/app", to: nil)
        #expect(reopened.aliasEntries.isEmpty)
        clock.millis = 3_000
        #expect(try reopened.addAlias("alias/app", to: first.id))
        #expect(reopened.aliasEntries.first?.createdMillis == 3_000, "a re-created alias starts a new life")
    }

    @Test func deletingAKeyDropsItsAliases() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock(millis: 1_000)
        let keyring = try Keyring(dataDirectory: dir, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment),
                                  now: { clock.millis })
        let key = try keyring.createKey(nowMillis: 1_000)
        let kept = try keyring.createKey(nowMillis: 1_000)
        #expect(try keyring.addAlias("alias/gone", to: key.id))
        #expect(try keyring.addAlias("alias/kept", to: kept.id))
        try keyring.update(key.id) { $0.state = .pendingDeletion; $0.deletionMillis = 5_000 }
        #expect(keyring.aliasEntries.map(\.name) == ["alias/gone", "alias/kept"])
        clock.millis = 5_000
        #expect(keyring.aliasEntries.map(\.name) == ["alias/kept"])
        #expect(throws: KeyringError.notFound(key.id)) { try keyring.key(key.id) }
    }

    @Test func wrappedBlobsNameTheirKey() throws {
        let dir = try freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keyring = try Keyring(dataDirectory: dir, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment))
        let key = try keyring.createKey(nowMillis: 1)
        let blob = try keyring.wrap(dataKey: [1, 2, 3], keyId: key.id)
        #expect(Keyring.keyId(ofWrapped: blob) == key.id)
        #expect(Keyring.keyId(ofWrapped: Array(blob.prefix(20))) == nil)
        #expect(Keyring.keyId(ofWrapped: Array("not a blob at all, not at all".utf8)) == nil)
        #expect(Keyring.keyId(ofWrapped: []) == nil)
    }
}

/// A clock the keyring tests set by hand.
final class TestClock: @unchecked Sendable {
    // Unchecked: its time is only read or moved under a lock.
    private let lock = NSLock()
    private var value: Int64
    init(millis: Int64) { value = millis }
    var millis: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
