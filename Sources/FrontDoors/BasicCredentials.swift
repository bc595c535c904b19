import Foundation
import LockstepCrypto

/// HTTP Basic credentials as the endpoints that take them read them (the Terraform http backend, the metrics
/// endpoint): an access key id as the user name and its secret as the password, checked with
/// `Authenticator.acceptsBasic`.
public struct BasicCredentials: Sendable {
    public let accessKey: String
    public let secretKey: String

    /// Whether the request carries a `Basic` `Authorization` header at all (well formed or not).
    public static func present(in request: APIRequest) -> Bool {
        request.header("authorization")?.lowercased().hasPrefix("basic ") == true
    }

    /// The credentials of a `Basic` `Authorization` header; nil when there is none or it is not well formed.
    public init?(_ request: APIRequest) {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("basic "),
              let decoded = Base64.decode(String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":") else { return nil }
        accessKey = String(text[..<colon])
        secretKey = String(text[text.index(after: colon)...])
    }
}

extension Authenticator {
    /// Whether the request's Basic credentials are a configured user's.
    public func acceptsBasic(_ request: APIRequest) -> Bool {
        guard let credentials = BasicCredentials(request) else { return false }
        return acceptsBasic(accessKey: credentials.accessKey, secretKey: credentials.secretKey)
    }
}
