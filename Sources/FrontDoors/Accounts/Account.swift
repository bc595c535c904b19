import Foundation
import LockstepCrypto

/// An AWS account as S3 and STS show it: the 12-digit id in ARNs, the 64-hex canonical user id in ACLs and `Owner`
/// elements, and a display name.
public struct Account: Sendable, Hashable {
    public let id: String
    public let canonicalUserId: String
    public let displayName: String

    /// The account `--access-key` is the root of, and that users without an `account` join.
    public static let `default` = Account(id: "000000000000",
                                          canonicalUserId: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
                                          displayName: "lockstep")

    /// Any other account: its canonical id is derived from its id, so it is the same on every start and every machine.
    public init(id: String) {
        if id == Account.default.id {
            self = .default
        } else {
            self.init(id: id, canonicalUserId: Digest.sha256(Array("lockstep-account:\(id)".utf8)).hexString,
                      displayName: "account-\(id)")
        }
    }

    init(id: String, canonicalUserId: String, displayName: String) {
        self.id = id; self.canonicalUserId = canonicalUserId; self.displayName = displayName
    }

    public var rootARN: String { "arn:aws:iam::\(id):root" }

    /// Twelve decimal digits, as AWS account ids are.
    public static func isValidId(_ id: String) -> Bool {
        id.utf8.count == 12 && id.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// Who signed a request: an account's root user (the `--access-key` credentials, or a users-file entry without a
/// name) or one of its IAM users.
public struct Identity: Sendable, Hashable {
    public let account: Account
    /// nil for the account's root user.
    public let userName: String?

    public init(account: Account, userName: String?) {
        self.account = account; self.userName = userName
    }

    public var isRoot: Bool { userName == nil }

    /// `arn:aws:iam::111111111111:root` or `arn:aws:iam::111111111111:user/alice`.
    public var arn: String { userName.map { "arn:aws:iam::\(account.id):user/\($0)" } ?? account.rootARN }

    /// STS's `UserId`: the account id for a root user, an `AIDA…` unique id for an IAM user (stable, derived from the
    /// account and name, as AWS's are stable for a user's life).
    public var userId: String {
        guard let userName else { return account.id }
        let digest = Digest.sha256(Array("lockstep-user:\(account.id):\(userName)".utf8))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "AIDA" + String(digest.prefix(17).map { alphabet[Int($0) % alphabet.count] })
    }
}
