/// S3's `400 MalformedPolicy`: PutBucketPolicy refuses a document with exactly one of these messages, the first fault
/// found. The wording is S3's, as its answers have been recorded; `Invalid policy syntax.` is the catch-all S3 gives
/// for a value of the wrong JSON type (a non-`"*"` string as `Principal`, `null` as `Action`).
public struct MalformedPolicy: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "MalformedPolicy: \(message)" }

    static let notJSON = MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    static let invalidJSON = MalformedPolicy("This policy contains invalid Json")
    static let tooLarge = MalformedPolicy(
        "Normalized policy document exceeds the maximum allowed size of \(BucketPolicy.maximumSize) bytes")
    static let syntax = MalformedPolicy("Invalid policy syntax.")
    static let version = MalformedPolicy("The policy must contain a valid version string")
    static let missingStatement = MalformedPolicy("Missing required field Statement")
    static let emptyStatement = MalformedPolicy("Could not parse the policy: Statement is empty!")
    static let missingEffect = MalformedPolicy("Missing required field Effect")
    static let missingPrincipal = MalformedPolicy("Missing required field Principal")
    static let missingAction = MalformedPolicy("Missing required field Action")
    static let missingResource = MalformedPolicy("Missing required field Resource")
    static let principal = MalformedPolicy("Invalid principal in policy")
    static let action = MalformedPolicy("Policy has invalid action")
    static let resource = MalformedPolicy("Policy has invalid resource")
    static let notApplicable = MalformedPolicy("Action does not apply to any resource(s) in statement")
    static let ipAddress = MalformedPolicy("Invalid IP address in Conditions")

    static func effect(_ value: String) -> MalformedPolicy { MalformedPolicy("Invalid effect: \(value)") }
    static func conditionType(_ name: String) -> MalformedPolicy { MalformedPolicy("Invalid Condition type : \(name)") }
    static func unknownField(_ name: String) -> MalformedPolicy { MalformedPolicy("Unknown field \(name)") }
}
