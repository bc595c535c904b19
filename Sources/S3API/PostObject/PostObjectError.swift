/// A refusal of a browser form upload (POST Object), as S3 words it. S3 answers these in its usual `<Error>` document;
/// `details` are the extra elements it adds after `Message` (`ArgumentName`, `ProposedSize`, `Condition`, …), in order.
///
/// Where S3's published error table and its observed answers differ, these follow the answers (a failed condition is
/// `403 AccessDenied`, not the table's `InvalidPolicyDocument`; a missing field is `InvalidArgument`, not
/// `UserKeyMustBeSpecified`).
struct PostObjectError: Error, Sendable, Equatable, CustomStringConvertible {
    var code: String
    var message: String
    var status: Int
    var details: [(String, String)]

    init(code: String, message: String, status: Int, details: [(String, String)] = []) {
        self.code = code
        self.message = message
        self.status = status
        self.details = details
    }

    static func == (a: PostObjectError, b: PostObjectError) -> Bool {
        a.code == b.code && a.message == b.message && a.status == b.status
            && a.details.map { [$0.0, $0.1] } == b.details.map { [$0.0, $0.1] }
    }

    var description: String {
        "\(status) \(code): \(message)" + details.map { " \($0.0)=\($0.1)" }.joined()
    }

    // MARK: The request and its body

    /// The request is not `multipart/form-data` at all. S3 answers `412 PreconditionFailed` with a `Condition`
    /// element, not the `RequestIsNotMultiPartContent` its error table lists.
    static let notMultipartFormData = PostObjectError(
        code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold", status: 412,
        details: [("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")])

    /// No usable boundary, or a body that breaks the multipart grammar (including one that ends early).
    static let malformedPOSTRequest = PostObjectError(
        code: "MalformedPOSTRequest", message: "The body of your POST request is not well-formed multipart/form-data.",
        status: 400)

    /// The fields before the file exceed `limit` bytes. The misspelling is S3's.
    static func maxPostPreDataLengthExceeded(limit: Int) -> PostObjectError {
        PostObjectError(
            code: "MaxPostPreDataLengthExceededError",
            message: "Your POST request fields preceeding the upload file was too large.", status: 400,
            details: [("MaxPostPreDataLengthBytes", String(limit))])
    }

    /// No part named `file`, or more than one; `count` is how many there were.
    static func incorrectNumberOfFiles(_ count: Int) -> PostObjectError {
        PostObjectError(
            code: "InvalidArgument", message: "POST requires exactly one file upload per request.", status: 400,
            details: [("ArgumentName", "file"), ("ArgumentValue", String(count))])
    }

    /// A required field (`key`, or a signature field) is absent, or came after the file where S3 no longer reads.
    /// Two spaces after the first sentence, as S3 writes it.
    static func missingField(_ name: String) -> PostObjectError {
        PostObjectError(
            code: "InvalidArgument",
            message: "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
            status: 400, details: [("ArgumentName", name), ("ArgumentValue", "")])
    }

    // MARK: The policy document

    /// The policy cannot be read, or is not a policy. `detail` follows "Invalid Policy: ".
    static func invalidPolicyDocument(_ detail: String) -> PostObjectError {
        PostObjectError(code: "InvalidPolicyDocument", message: "Invalid Policy: \(detail)", status: 400)
    }

    static let policyInvalidJSON = invalidPolicyDocument("Invalid JSON.")
    static let policyInvalidBase64 = invalidPolicyDocument("invalid Base64 encoding.")
    static let policyMissingExpiration = invalidPolicyDocument("Policy missing expiration.")
    static let policyMissingConditions = invalidPolicyDocument("Policy missing conditions.")
    static let policyConditionsNotList = invalidPolicyDocument("Invalid 'conditions' value: must be a List.")
    static let policyConditionNotListOrObject = invalidPolicyDocument("Invalid condition test: must be a List or Object.")
    static let policyMissingOperation = invalidPolicyDocument("Invalid Condition: missing operation identifier.")
    static let policySimpleConditionArity = invalidPolicyDocument(
        "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
    static let policySimpleConditionNotString = invalidPolicyDocument("Invalid Simple-Condition: value must be a string.")

    static func policyInvalidExpiration(_ value: String) -> PostObjectError {
        invalidPolicyDocument("Invalid 'expiration' value: '\(value)'")
    }

    /// A top-level member other than `expiration` and `conditions`; S3 names it lowercased.
    static func policyUnexpectedMember(_ name: String) -> PostObjectError {
        invalidPolicyDocument("Unexpected: '\(name.lowercased())'")
    }

    static func policyUnknownOperation(_ operation: String) -> PostObjectError {
        invalidPolicyDocument("Invalid Condition: unknown operation '\(operation)'.")
    }

    static func policyWrongArgumentCount(_ operation: String) -> PostObjectError {
        invalidPolicyDocument("Invalid \(operation): wrong number of arguments.")
    }

    // MARK: The form against the policy

    static let policyExpired = PostObjectError(
        code: "AccessDenied", message: "Invalid according to Policy: Policy expired.", status: 403)

    /// `condition` as S3 prints it: `["eq", "$key", "user/x"]`.
    static func policyConditionFailed(_ condition: String) -> PostObjectError {
        PostObjectError(
            code: "AccessDenied", message: "Invalid according to Policy: Policy Condition failed: \(condition)", status: 403)
    }

    /// Form fields no condition names, as the form spelled them.
    static func extraInputFields(_ names: [String]) -> PostObjectError {
        PostObjectError(
            code: "AccessDenied", message: "Invalid according to Policy: Extra input fields: \(names.joined(separator: ", "))",
            status: 403)
    }

    static func entityTooSmall(proposed: Int64, minimum: Int64) -> PostObjectError {
        PostObjectError(
            code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size", status: 400,
            details: [("ProposedSize", String(proposed)), ("MinSizeAllowed", String(minimum))])
    }

    static func entityTooLarge(proposed: Int64, maximum: Int64) -> PostObjectError {
        PostObjectError(
            code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size", status: 400,
            details: [("ProposedSize", String(proposed)), ("MaxSizeAllowed", String(maximum))])
    }
}
