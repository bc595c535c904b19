import Foundation

/// `--users FILE` (`LOCKSTEP_USERS_FILE`): more users, in the default account or others.
///
///     {"users": [{"name": "alice", "accessKey": "…", "secretKey": "…", "account": "111111111111"}]}
///
/// `account` may be left out (the default account, 000000000000). `"root": true` makes the entry its account's root
/// user (ARN `arn:aws:iam::ACCOUNT:root`) rather than an IAM user: the one who may always undo the account's bucket
/// policies. A file Lockstep cannot use stops the start with one line naming the file and the problem; a secret is
/// never part of that line.
public enum UsersFile {
    public struct User: Sendable, Equatable {
        public let name: String
        public let accessKey: String
        public let secretKey: String
        public let account: String
        /// The account's root user rather than an IAM user named `name`.
        public let isRoot: Bool

        public init(name: String, accessKey: String, secretKey: String, account: String, isRoot: Bool = false) {
            self.name = name; self.accessKey = accessKey; self.secretKey = secretKey; self.account = account; self.isRoot = isRoot
        }
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(path: String, rootAccessKey: String) throws(Problem) -> [User] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Problem(description: "users file \(path): cannot be read")
        }
        do {
            return try parse(Array(data), rootAccessKey: rootAccessKey)
        } catch {
            throw Problem(description: "users file \(path): \(error.description)")
        }
    }

    /// IAM's user-name rule: 1–64 of letters, digits and `+=,.@_-`.
    static func isValidUserName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || "+=,.@_-".utf8.contains(c)
        }
    }

    /// AWS access key ids are 16–128 word characters; Lockstep allows any printable ASCII without spaces or `:`
    /// (SigV2 and Basic auth split on `:`), so test keys like `alice-key` work.
    static func isValidAccessKey(_ key: String) -> Bool {
        (1...128).contains(key.utf8.count) && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "/") }
    }

    static func parse(_ bytes: [UInt8], rootAccessKey: String) throws(Problem) -> [User] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            throw Problem(description: "not valid JSON")
        }
        guard let object = root as? [String: Any], let list = object["users"] as? [Any] else {
            throw Problem(description: #"expected an object with a "users" array"#)
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "users" }) {
            throw Problem(description: "unknown field \"\(unknown)\"")
        }
        var users: [User] = []
        var owners: [String: String] = [rootAccessKey: "the --access-key root user"]
        var names: Set<String> = []
        for (index, item) in list.enumerated() {
            let position = "user \(index + 1)"
            guard let fields = item as? [String: Any] else { throw Problem(description: "\(position) is not an object") }
            if let unknown = fields.keys.sorted().first(where: { !["name", "accessKey", "secretKey", "account", "root"].contains($0) }) {
                throw Problem(description: "\(position): unknown field \"\(unknown)\"")
            }
            func string(_ field: String, required: Bool = true) throws(Problem) -> String? {
                guard let value = fields[field] else {
                    if required { throw Problem(description: "\(position): \"\(field)\" is missing") }
                    return nil
                }
                guard let text = value as? String else { throw Problem(description: "\(position): \"\(field)\" must be a string") }
                return text
            }
            let name = try string("name")!
            guard isValidUserName(name) else {
                throw Problem(description: "\(position): name must be 1 to 64 letters, digits or +=,.@_-")
            }
            let label = "user \"\(name)\""
            let accessKey = try string("accessKey")!
            guard isValidAccessKey(accessKey) else {
                throw Problem(description: "\(label): accessKey must be 1 to 128 printable characters without spaces, ':' or '/'")
            }
            let secretKey = try string("secretKey")!
            guard !secretKey.isEmpty else { throw Problem(description: "\(label): secretKey is empty") }
            let account = try string("account", required: false) ?? Account.default.id
            guard Account.isValidId(account) else { throw Problem(description: "\(label): account must be 12 digits") }
            var isRoot = false
            if let value = fields["root"] {
                guard let flag = value as? Bool else {
                    throw Problem(description: "\(label): root must be true or false")
                }
                isRoot = flag
            }
            if let owner = owners[accessKey] {
                throw Problem(description: "\(label): access key \(accessKey) is already \(owner)'s")
            }
            guard names.insert("\(account)/\(name)").inserted else {
                throw Problem(description: "\(label) appears twice in account \(account)")
            }
            owners[accessKey] = label
            users.append(User(name: name, accessKey: accessKey, secretKey: secretKey, account: account, isRoot: isRoot))
        }
        return users
    }
}
