import Foundation

/// What a front door says about the request it answered, for the server's metrics, its request log and the console's
/// live request list. Set on `APIResponse.summary`; the server adds timing and sizes (`RequestEvent`).
public struct RequestSummary: Sendable {
    /// The protocol: `s3`, `kms`, `dynamodb`, `sts`, `tfstate` (the Terraform http backend), `admin`, `console`.
    public var service: String
    /// The operation by its AWS name (`GetObject`, `PutItem`, `Decrypt`) or, for Lockstep's own endpoints, a short name.
    public var operation: String
    public var bucket: String?
    public var key: String?
    /// The protocol's error code when the answer is an error (`NoSuchKey`, `ConditionalCheckFailedException`).
    public var errorCode: String?
    /// Who asked: an account root's or user's ARN, or `anonymous`.
    public var requester: String?
    public var requestId: String?
    /// Set when the request took, was refused or released a Terraform lock.
    public var lock: LockEvent?
    /// For KMS operations on a key: the key's state (`Enabled`, `Disabled`, `PendingDeletion`).
    public var keyState: String?

    public init(service: String, operation: String, bucket: String? = nil, key: String? = nil, errorCode: String? = nil,
                requester: String? = nil, requestId: String? = nil, lock: LockEvent? = nil, keyState: String? = nil) {
        self.service = service
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.errorCode = errorCode
        self.requester = requester
        self.requestId = requestId
        self.lock = lock
        self.keyState = keyState
    }

    /// A Terraform lock changing hands, by the lock path that carried it.
    public struct LockEvent: Sendable, Equatable {
        public enum Path: String, Sendable { case s3Lockfile = "s3_lockfile", dynamodb, http }
        public enum Outcome: String, Sendable { case acquired, refused, released }
        public let path: Path
        public let outcome: Outcome
        public init(path: Path, outcome: Outcome) {
            self.path = path
            self.outcome = outcome
        }
    }
}

/// One answered request as the server saw it: the summary plus when, how long and how many bytes.
public struct RequestEvent: Sendable {
    /// Wall-clock time the request arrived (milliseconds since 1970; real time, not the store clock).
    public let receivedMillis: Int64
    public let method: String
    /// The request target's path (no query).
    public let path: String
    public let status: Int
    /// Until the response head was ready (a streamed body's transfer is not included).
    public let latencyNanos: UInt64
    /// The request body bytes read (an aws-chunked body's at most its decoded length); 0 when the body was never read.
    public let bytesIn: Int64
    /// The response body's length.
    public let bytesOut: Int64
    /// What the front door reported; nil for a front door that reports nothing.
    public let summary: RequestSummary?

    public init(receivedMillis: Int64, method: String, path: String, status: Int, latencyNanos: UInt64, bytesIn: Int64,
                bytesOut: Int64, summary: RequestSummary?) {
        self.receivedMillis = receivedMillis
        self.method = method
        self.path = path
        self.status = status
        self.latencyNanos = latencyNanos
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.summary = summary
    }
}

/// The last `capacity` answered requests, newest last: what the console's request page shows.
public final class RecentRequests: @unchecked Sendable {
    // Unchecked: `ring` and `next` are only touched under `lock`.
    private let lock = NSLock()
    private var ring: [RequestEvent] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int = 1000) {
        self.capacity = max(1, capacity)
        ring.reserveCapacity(self.capacity)
    }

    public func record(_ event: RequestEvent) {
        lock.withLock {
            if ring.count < capacity {
                ring.append(event)
            } else {
                ring[next] = event
                next = (next + 1) % capacity
            }
        }
    }

    /// Oldest first.
    public func snapshot() -> [RequestEvent] {
        lock.withLock { Array(ring[next...] + ring[..<next]) }
    }
}
