import FrontDoors

/// One AWS service that speaks the JSON protocol (`X-Amz-Target: <prefix>.<Operation>`, `application/x-amz-json-1.x`):
/// what the shared front door needs to know of it, and the operations it runs.
public protocol AWSJSONService: Sendable {
    /// `TrentService` for KMS, `DynamoDB_20120810` for DynamoDB: the part of `X-Amz-Target` before the dot.
    var targetPrefix: String { get }
    /// The service name requests are signed for (`kms`, `dynamodb`).
    var signingName: String { get }
    /// `application/x-amz-json-1.1` (KMS) or `application/x-amz-json-1.0` (DynamoDB).
    var contentType: String { get }
    /// Every operation name `run` runs. Metrics and logs name only these; anything else a client sends is `Unknown`.
    var operations: Set<String> { get }
    /// Runs one operation on the request's members; nil answers with an empty body.
    func run(_ operation: String, _ request: JSONMembers) async throws(AWSJSONError) -> [String: JSONValue]?
    /// The service's own error for a failure that is Lockstep's fault (KMS: `KMSInternalException`).
    func internalError(_ why: String) -> AWSJSONError
    /// The `__type` an error is sent with: KMS sends the bare code, DynamoDB a namespaced one (`com.amazonaws.dynamodb.v20120810#…`).
    func errorType(_ code: String) -> String
    /// The largest request body the service takes.
    var bodyLimit: Int { get }
    /// Whether responses carry `x-amz-crc32` (CRC32 of the body, decimal), which DynamoDB's SDKs verify.
    var sendsCRC32: Bool { get }
    /// Adds what only the service knows to a request's summary (KMS: the key's state; DynamoDB: a Terraform lock),
    /// once `run` has answered or failed with `error`. Runs for every request: it must stay cheap.
    func annotate(_ summary: inout RequestSummary, operation: String, request: JSONMembers, result: [String: JSONValue]?,
                  error: AWSJSONError?)
}

/// What a service learns while running one request that only the request's summary needs, and its result does not
/// carry. Bound by the front door around `run` and `annotate`.
public final class AWSJSONRequestNotes: @unchecked Sendable {
    // Unchecked: one request's notes are written and read by the task that serves it, in turn.
    @TaskLocal public static var current: AWSJSONRequestNotes?
    /// DynamoDB: a DeleteItem removed an item (one that was not there is not removed).
    public var removedItem = false
    public init() {}
}

extension AWSJSONService {
    public func errorType(_ code: String) -> String { code }
    public var bodyLimit: Int { 1 << 20 }
    public var sendsCRC32: Bool { false }
    public func annotate(_ summary: inout RequestSummary, operation: String, request: JSONMembers, result: [String: JSONValue]?,
                         error: AWSJSONError?) {}
}
