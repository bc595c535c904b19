import HTTPTypes

/// One error of an AWS JSON protocol service: its `__type`, message and HTTP status (400 for everything the caller can
/// fix). Rendered once, by `AWSJSONFrontDoor`, as `{"__type": …, "message": …}`.
public struct AWSJSONError: Error, Sendable {
    public var type: String
    public var message: String
    public var status: HTTPResponse.Status
    /// Further members of the error body (DynamoDB's `Item` with `ReturnValuesOnConditionCheckFailure`).
    public var extra: [String: JSONValue] = [:]

    public init(_ type: String, _ message: String, status: HTTPResponse.Status = .badRequest) {
        self.type = type; self.message = message; self.status = status
    }

    public static func serialization(_ message: String) -> AWSJSONError { AWSJSONError("SerializationException", message) }

    public static func validation(_ message: String) -> AWSJSONError { AWSJSONError("ValidationException", message) }

    /// AWS names members in lower camel case in validation messages (`keyId`, `pendingWindowInDays`).
    static func memberName(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }

    public static func missing(_ name: String) -> AWSJSONError {
        validation("1 validation error detected: Value null at '\(memberName(name))' failed to satisfy constraint: Member must not be null")
    }

    public static func constraint(_ name: String, _ value: String, _ rule: String) -> AWSJSONError {
        validation("1 validation error detected: Value '\(value)' at '\(memberName(name))' failed to satisfy constraint: \(rule)")
    }

    public static func wrongType(_ name: String, _ expected: String) -> AWSJSONError {
        serialization("\(name) must be \(expected).")
    }
}
