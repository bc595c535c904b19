import SigV4

/// Every set of credentials Lockstep accepts and whose they are: the root of the default account (`--access-key`) and
/// the users of a users file. Each front door authenticates against it and asks it who signed.
public struct UserDirectory: Sendable, CredentialProvider {
    public struct Entry: Sendable {
        public let secretKey: String
        public let identity: Identity
    }

    private let entries: [String: Entry]
    /// Accounts by id, and by canonical user id (ACL grants name accounts that way).
    public let accounts: [String: Account]
    private let accountsByCanonicalId: [String: Account]

    /// `rootAccessKey` is the default account's root; `users` come from a users file (already validated).
    public init(rootAccessKey: String, rootSecretKey: String, users: [UsersFile.User] = []) {
        var entries = [rootAccessKey: Entry(secretKey: rootSecretKey, identity: Identity(account: .default, userName: nil))]
        var accounts = [Account.default.id: Account.default]
        for user in users {
            let account = accounts[user.account] ?? Account(id: user.account)
            accounts[account.id] = account
            entries[user.accessKey] = Entry(secretKey: user.secretKey, identity: Identity(account: account, userName: user.isRoot ? nil : user.name))
        }
        self.entries = entries
        self.accounts = accounts
        accountsByCanonicalId = Dictionary(uniqueKeysWithValues: accounts.values.map { ($0.canonicalUserId, $0) })
    }

    public func secretKey(forAccessKey accessKey: String) -> String? { entries[accessKey]?.secretKey }

    /// Who an access key belongs to; nil for an unknown key (possible only when any credentials are allowed, and
    /// then the caller is taken for the default account's root).
    public func identity(forAccessKey accessKey: String) -> Identity? { entries[accessKey]?.identity }

    public func account(canonicalUserId id: String) -> Account? { accountsByCanonicalId[id] }
}
