/// Looks up the secret access key of an access key id.
public protocol CredentialProvider: Sendable {
    func secretKey(forAccessKey: String) -> String?
}

/// A fixed set of access key → secret key pairs.
public struct StaticCredentialProvider: CredentialProvider {
    public let keys: [String: String]

    public init(_ keys: [String: String]) { self.keys = keys }

    public func secretKey(forAccessKey accessKey: String) -> String? { keys[accessKey] }
}
