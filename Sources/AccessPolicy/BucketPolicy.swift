/// A bucket policy, compiled once when it is put (the server keeps the compiled form); evaluating a request then
/// costs a few lookups per statement.
public struct BucketPolicy: Sendable {
    /// "Bucket policies are limited to 20 KB in size", counted on the document without insignificant whitespace.
    public static let maximumSize = 20 * 1024

    /// The document as given; GetBucketPolicy returns it.
    public let text: String
    /// The bucket the policy was put on; its resources all name it.
    public let bucket: String
    let statements: [PolicyStatement]
    /// Whether `${…}` variables are read (Version 2012-10-17).
    public let usesPolicyVariables: Bool
    /// S3 Block Public Access's verdict, worked out once.
    public let isPublic: Bool

    /// Reads and checks a PutBucketPolicy body for `bucket`, or throws S3's MalformedPolicy message.
    public init(json: [UInt8], bucket: String) throws(MalformedPolicy) {
        let document = try PolicyDocument(json: json, bucket: bucket)
        // The parser has checked every byte is UTF-8.
        text = String(decoding: json, as: UTF8.self)
        self.bucket = bucket
        statements = document.statements
        usesPolicyVariables = document.variablesEnabled
        isPublic = document.statements.contains(where: PublicPolicy.isPublic)
    }

    /// IAM's evaluation within one resource policy: any applicable Deny is an explicit deny, else any applicable
    /// Allow allows, else the policy has nothing to say.
    public func evaluate(_ request: PolicyRequest) -> PolicyEffect {
        let lowercasedAction = ConditionContext.lowercaseASCII(request.action)
        let action = S3Actions.indexes[lowercasedAction]
        let actionBytes = Array(lowercasedAction.utf8)
        let resource = Array(request.resource.utf8)
        var allowed = false
        for statement in statements where !(allowed && statement.allows) {
            guard statement.applies(
                to: request, action: action, lowercasedAction: actionBytes, resource: resource)
            else { continue }
            if !statement.allows { return .explicitDeny }
            allowed = true
        }
        return allowed ? .allow : .notApplicable
    }

    /// The statements (by position, and Sid when they have one) that make the policy public, for messages such as
    /// BlockPublicPolicy's refusal.
    public var publicStatements: [(index: Int, sid: String?)] {
        statements.enumerated().filter { PublicPolicy.isPublic($0.element) }.map { ($0.offset, $0.element.sid) }
    }
}
