import Foundation
@testable import FrontDoors
import Testing

/// The users file: what it accepts, and the one line that names the file and the problem for everything it refuses —
/// never with a secret in it.
@Suite struct UsersFileTests {
    let root = "root-key"

    @Test func acceptsUsersInAccounts() throws {
        let users = try UsersFile.parse(Array("""
        {"users": [{"name": "alice", "accessKey": "alice-key", "secretKey": "s1", "account": "111111111111"},
                   {"name": "bob", "accessKey": "bob-key", "secretKey": "s2"},
                   {"name": "admin", "accessKey": "admin-key", "secretKey": "s3", "account": "111111111111", "root": true}]}
        """.utf8), rootAccessKey: root)
        #expect(users == [UsersFile.User(name: "alice", accessKey: "alice-key", secretKey: "s1", account: "111111111111"),
                          UsersFile.User(name: "bob", accessKey: "bob-key", secretKey: "s2", account: "000000000000"),
                          UsersFile.User(name: "admin", accessKey: "admin-key", secretKey: "s3", account: "111111111111", isRoot: true)])
        let directory = UserDirectory(rootAccessKey: root, rootSecretKey: "root-secret", users: users)
        #expect(directory.identity(forAccessKey: "alice-key")?.arn == "arn:aws:iam::111111111111:user/alice")
        #expect(directory.identity(forAccessKey: "bob-key")?.account == .default)
        #expect(directory.identity(forAccessKey: root)?.arn == "arn:aws:iam::000000000000:root")
        #expect(directory.identity(forAccessKey: "admin-key")?.arn == "arn:aws:iam::111111111111:root")
        #expect(directory.identity(forAccessKey: "admin-key")?.userId == "111111111111")
        #expect(directory.secretKey(forAccessKey: "alice-key") == "s1")
        let alice = Account(id: "111111111111")
        #expect(directory.account(canonicalUserId: alice.canonicalUserId) == alice)
        #expect(alice.canonicalUserId.count == 64 && alice.canonicalUserId != Account.default.canonicalUserId)
        #expect(Account(id: "111111111111").canonicalUserId == alice.canonicalUserId)
        #expect(directory.identity(forAccessKey: "alice-key")?.userId.hasPrefix("AIDA") == true)
        #expect(directory.identity(forAccessKey: "alice-key")?.userId.count == 21)
    }

    static let refusals: [(String, String)] = [
        ("{", "not valid JSON"),
        ("[]", #"expected an object with a "users" array"#),
        (#"{"users": {}}"#, #"expected an object with a "users" array"#),
        (#"{"users": [], "extra": 1}"#, #"unknown field "extra""#),
        (#"{"users": [1]}"#, "user 1 is not an object"),
        (#"{"users": [{"accessKey": "a", "secretKey": "s"}]}"#, #"user 1: "name" is missing"#),
        (#"{"users": [{"name": "a b", "accessKey": "a", "secretKey": "s"}]}"#, "user 1: name must be 1 to 64 letters, digits or +=,.@_-"),
        (#"{"users": [{"name": "a", "accessKey": 5, "secretKey": "s"}]}"#, #"user 1: "accessKey" must be a string"#),
        (#"{"users": [{"name": "a", "accessKey": "a:b", "secretKey": "s"}]}"#,
         #"user "a": accessKey must be 1 to 128 printable characters without spaces, ':' or '/'"#),
        (#"{"users": [{"name": "a", "accessKey": "k", "secretKey": ""}]}"#, #"user "a": secretKey is empty"#),
        (#"{"users": [{"name": "a", "accessKey": "k", "secretKey": "s", "account": "12345"}]}"#, #"user "a": account must be 12 digits"#),
        (#"{"users": [{"name": "a", "accessKey": "k", "secretKey": "hunter2", "role": "x"}]}"#, #"user 1: unknown field "role""#),
        (#"{"users": [{"name": "a", "accessKey": "k", "secretKey": "s", "root": "yes"}]}"#, #"user "a": root must be true or false"#),
        (#"{"users": [{"name": "a", "accessKey": "k", "secretKey": "s1"}, {"name": "b", "accessKey": "k", "secretKey": "s2"}]}"#,
         #"user "b": access key k is already user "a"'s"#),
        (#"{"users": [{"name": "a", "accessKey": "root-key", "secretKey": "s1"}]}"#,
         #"user "a": access key root-key is already the --access-key root user's"#),
        (#"{"users": [{"name": "a", "accessKey": "k1", "secretKey": "s1"}, {"name": "a", "accessKey": "k2", "secretKey": "s2"}]}"#,
         #"user "a" appears twice in account 000000000000"#),
    ]

    @Test(arguments: refusals)
    func refusesWithOneLine(_ refusal: (String, String)) {
        do {
            _ = try UsersFile.parse(Array(refusal.0.utf8), rootAccessKey: root)
            Issue.record("accepted \(refusal.0)")
        } catch {
            #expect(error.description == refusal.1)
            #expect(!error.description.contains("hunter2") && !error.description.contains("\n"))
        }
    }

    @Test func namesTheFile() throws {
        let path = NSTemporaryDirectory() + "lockstep-users-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: UsersFile.Problem.self) { try UsersFile.load(path: path, rootAccessKey: root) }
        try Data(#"{"users": [{"name": "a", "accessKey": "k", "secretKey": "s", "account": "x"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try UsersFile.load(path: path, rootAccessKey: root)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "users file \(path): user \"a\": account must be 12 digits")
        }
    }
}
