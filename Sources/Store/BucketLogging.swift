/// PutBucketLogging's `LoggingEnabled`, kept in the source bucket's configuration document: where the bucket's server
/// access log records are delivered and how their objects are named.
public struct BucketLogging: Sendable, Codable, Equatable, Hashable {
    public var targetBucket: String
    public var targetPrefix: String
    public var keyFormat: LogObjectKeyFormat

    public init(targetBucket: String, targetPrefix: String, keyFormat: LogObjectKeyFormat = .simple) {
        self.targetBucket = targetBucket; self.targetPrefix = targetPrefix; self.keyFormat = keyFormat
    }
}

/// `TargetObjectKeyFormat`: `SimplePrefix` (the default) or `PartitionedPrefix` with its date source.
public enum LogObjectKeyFormat: Sendable, Codable, Equatable, Hashable {
    case simple
    case partitioned(PartitionDateSource)

    public enum PartitionDateSource: String, Sendable, Codable, Hashable {
        case eventTime = "EventTime"
        case deliveryTime = "DeliveryTime"
    }
}
