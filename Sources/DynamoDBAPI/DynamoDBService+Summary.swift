import AWSJSON
import FrontDoors

/// Terraform's DynamoDB lock (`dynamodb_table`, docs/terraform.md §7) as a request summary sees it. The lock is the item
/// `{LockID: "<bucket>/<key>", Info: …}` put on condition that it is absent (`attribute_not_exists(LockID)`, or the
/// legacy `Expected: {LockID: {Exists: false}}`): success takes it, a failed condition is the lock refused, and a
/// DeleteItem that removed it releases it. Terraform's digest item
/// (`<bucket>/<key>-md5`) is written and deleted without a lock changing hands, so it is left out.
extension DynamoDBService {
    public func annotate(_ summary: inout RequestSummary, operation: String, request: JSONMembers, result: [String: JSONValue]?,
                         error: AWSJSONError?) {
        switch operation {
        case "PutItem":
            guard Self.requiresAbsentLockID(request), Self.isLockItem(request["Item"]) else { return }
            if error == nil {
                summary.lock = .init(path: .dynamodb, outcome: .acquired)
            } else if error?.type == "ConditionalCheckFailedException" {
                summary.lock = .init(path: .dynamodb, outcome: .refused)
            }
        case "DeleteItem":
            guard error == nil, AWSJSONRequestNotes.current?.removedItem == true, Self.isLockItem(request["Key"]) else { return }
            summary.lock = .init(path: .dynamodb, outcome: .released)
        default:
            return
        }
    }

    /// Whether a PutItem's condition is that no lock is held: any other condition (`attribute_exists`, a compare) is
    /// not taking a lock.
    static func requiresAbsentLockID(_ request: JSONMembers) -> Bool {
        if case .string(let condition)? = request["ConditionExpression"] {
            return condition.filter { !$0.isWhitespace } == "attribute_not_exists(LockID)"
        }
        guard case .object(let expected)? = request["Expected"], expected.count == 1, case .object(let lockID)? = expected["LockID"] else {
            return false
        }
        return lockID["Exists"] == .bool(false) && lockID["Value"] == nil
    }

    /// An item (or key) whose `LockID` is a string other than a digest item's.
    static func isLockItem(_ item: JSONValue?) -> Bool {
        guard case .object(let attributes)? = item, case .object(let lockID)? = attributes["LockID"],
              case .string(let value)? = lockID["S"] else { return false }
        return !value.hasSuffix("-md5")
    }
}
