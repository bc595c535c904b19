import AWSJSON
import DynamoDBModel
import KeyService
import Store

/// DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Operation>`, JSON 1.0, signed for `dynamodb`) on the table store.
/// Each operation is a case of `run`, implemented in the file of its family: `TableOperations.swift`,
/// `ItemOperations.swift`, `ReadOperations.swift` (Query, Scan), `BatchOperations.swift`, `TableSettingsOperations.swift`
/// (TTL, tags). See docs/dynamodb.md for the subset served.
public struct DynamoDBService: AWSJSONService {
    public let targetPrefix = "DynamoDB_20120810"
    public let signingName = "dynamodb"
    public let contentType = "application/x-amz-json-1.0"
    /// BatchWriteItem carries up to 25 items of 400 KB.
    public let bodyLimit = 16 << 20
    public let sendsCRC32 = true

    let catalog: TableCatalog
    let region: String
    let now: @Sendable () -> Int64

    public init(store: TableStore, keyring: Keyring, region: String, now: @escaping @Sendable () -> Int64) {
        catalog = TableCatalog(store: store, keyring: keyring)
        self.region = region
        self.now = now
    }

    /// The operations `run` runs (keep the two in step).
    public static let operations: Set<String> = [
        "CreateTable",
        "DescribeTable",
        "ListTables",
        "DeleteTable",
        "UpdateTable",
        "PutItem",
        "GetItem",
        "DeleteItem",
        "UpdateItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "DescribeTimeToLive",
        "UpdateTimeToLive",
        "TagResource",
        "UntagResource",
        "ListTagsOfResource",
    ]
    public var operations: Set<String> { Self.operations }

    public func run(_ operation: String, _ request: JSONMembers) async throws(AWSJSONError) -> [String: JSONValue]? {
        do {
            switch operation {
            case "CreateTable": return try await createTable(request)
            case "DescribeTable": return try describeTable(request)
            case "ListTables": return try listTables(request)
            case "DeleteTable": return try await deleteTable(request)
            case "UpdateTable": return try await updateTable(request)
            case "PutItem": return try await putItem(request)
            case "GetItem": return try getItem(request)
            case "DeleteItem": return try await deleteItem(request)
            case "UpdateItem": return try await updateItem(request)
            case "Query": return try query(request)
            case "Scan": return try scan(request)
            case "BatchGetItem": return try batchGetItem(request)
            case "BatchWriteItem": return try await batchWriteItem(request)
            case "DescribeTimeToLive": return try describeTimeToLive(request)
            case "UpdateTimeToLive": return try await updateTimeToLive(request)
            case "TagResource": return try await tagResource(request)
            case "UntagResource": return try await untagResource(request)
            case "ListTagsOfResource": return try listTagsOfResource(request)
            default: throw AWSJSONError("UnknownOperationException", "")
            }
        } catch let error as AWSJSONError {
            throw error
        } catch let error as TableStoreError {
            switch error {
            case .tableExists(let name): throw DynamoDBErrors.tableInUse(name)
            case .noSuchTable: throw DynamoDBErrors.resourceNotFound
            }
        } catch {
            throw internalError("\(error)")
        }
    }

    public func internalError(_ why: String) -> AWSJSONError {
        AWSJSONError("InternalServerError", "Internal server error: \(why)", status: .internalServerError)
    }

    /// DynamoDB namespaces its error types by the layer that raised them; SDKs read the part after `#`.
    public func errorType(_ code: String) -> String {
        switch code {
        case "ValidationException": return "com.amazon.coral.validate#ValidationException"
        case "SerializationException", "UnknownOperationException", "UnrecognizedClientException", "InvalidSignatureException",
             "MissingAuthenticationTokenException", "IncompleteSignatureException", "RequestEntityTooLargeException":
            return "com.amazon.coral.service#\(code)"
        default: return "com.amazonaws.dynamodb.v20120810#\(code)"
        }
    }

    func tableARN(_ name: String) -> String { "arn:aws:dynamodb:\(region):\(LockstepAccount.id):table/\(name)" }
}
