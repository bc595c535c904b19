import AWSJSON
import FrontDoors

/// Terraform's DynamoDB lock (`dynamodb_table`, docs/terraform.md §7) as a request summary sees it. The lock is the item
/// `{LockID: "<bucket>/<key>", Info: …}` put with a condition (`attribute_not_exists(LockID)`): success takes it, a
/// failed condition is the lock refused, and a DeleteItem of it releases it. Terraform's digest item
/// (`<bucket>/<key>-md5`) is written and deleted without a lock changing hands, so it is left out.
extension DynamoDBService {
    public func annotate(_ summary: inout RequestSummary, operation: String, request: JSONMembers, result: [String: JSONValue]?,
                         error: AWSJSONError?) {
        switch operation {
        case "PutItem":
            guard request["ConditionExpression"] != nil || request["Expected"] != nil, Self.isLockItem(request["Item"]) else { return }
            if error == nil {
                summary.lock = .init(path: .dynamodb, outcome: .acquired)
            } else if error?.type == "ConditionalCheckFailedException" {
                summary.lock = .init(path: .dynamodb, outcome: .refused)
            }
        case "DeleteItem":
            guard error == nil, Self.isLockItem(request["Key"]) else { return }
            summary.lock = .init(path: .dynamodb, outcome: .released)
        default:
            return
        }
    }

    /// An item (or key) whose `LockID` is a string other than a digest item's.
    static func isLockItem(_ item: JSONValue?) -> Bool {
        guard case .object(let attributes)? = item, case .object(let lockID)? = attributes["LockID"],
              case .string(let value)? = lockID["S"] else { return false }
        return !value.hasSuffix("-md5")
    }
}
