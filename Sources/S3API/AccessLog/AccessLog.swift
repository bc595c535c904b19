import Foundation
import FrontDoors
import NIOCore
import SigV4
import Store

/// Server access logging on the request path: a request against a bucket with logging on leaves one record (two for a
/// copy from a logged bucket, one more per key a multi-object delete removes) in the spool. Buckets without logging
/// cost one cached configuration lookup per request. Delivery is `S3Service.flushAccessLogs` (`AccessLogDelivery`).
public final class AccessLog: Sendable {
    public let spool: AccessLogSpool
    /// How long a record may wait before the worker delivers it (`--access-log-flush-seconds`).
    public let flushIntervalMillis: Int64
    /// How often the worker writes recorded records to the spool file: the most a `kill -9` can lose.
    public let writeIntervalMillis: Int64
    let flushes = SerialTasks()

    public init(spool: AccessLogSpool, flushIntervalMillis: Int64 = 60_000, writeIntervalMillis: Int64 = 200) {
        self.spool = spool
        self.flushIntervalMillis = flushIntervalMillis
        self.writeIntervalMillis = writeIntervalMillis
    }
}

/// What the request path learns about one request for its access log record. One task serves a request, so it is
/// written without locks; a streamed body finishes the record when its last byte is written.
final class AccessLogTrace: @unchecked Sendable {
    let receivedMillis: Int64
    let startNanos: UInt64
    var bodyEndNanos: UInt64?
    var bucket = ""
    var key = ""
    var query: QueryParameters?
    var auth: VerifiedRequest?
    var requester: Identity?
    var errorCode: String?
    /// The size of the object the request read or wrote, when a handler knows it.
    var objectSize: Int64?
    /// A copy's source, once read: its bucket's log gets a `REST.COPY.OBJECT_GET` (or `…PART_GET`) record.
    var copySource: (bucket: String, key: String, versionId: String?, size: Int64)?
    /// What a multi-object delete removed: a `BATCH.DELETE.OBJECT` record each.
    var batchDeleted: [(key: String, versionId: String?)] = []

    init(receivedMillis: Int64) {
        self.receivedMillis = receivedMillis
        startNanos = DispatchTime.now().uptimeNanoseconds
    }

    /// The request body, noting when its last byte arrived (the start of the turn-around time).
    func watching(_ body: BodyStream) -> BodyStream {
        BodyStream { [self] in
            let chunk = try await body.next()
            if chunk == nil, bodyEndNanos == nil { bodyEndNanos = DispatchTime.now().uptimeNanoseconds }
            return chunk
        }
    }
}

extension S3Service {
    /// Records the request if its bucket (or a copy's source bucket) has logging on; a streamed response is recorded
    /// once its last byte is written, with the bytes actually sent.
    func recordAccess(_ trace: AccessLogTrace, _ request: APIRequest, _ response: APIResponse, requestId: String) -> APIResponse {
        guard let accessLog, !trace.bucket.isEmpty else { return response }
        let target = try? store.configuration(bucket: trace.bucket)?.logging
        let sourceTarget = trace.copySource.flatMap { try? store.configuration(bucket: $0.bucket)?.logging }
        guard target != nil || sourceTarget != nil else { return response }
        let readyNanos = DispatchTime.now().uptimeNanoseconds
        var base = baseRecord(trace, request, response, requestId: requestId)
        base.turnAroundMillis = Self.millis(from: trace.bodyEndNanos ?? trace.startNanos, to: readyNanos)
        let prepared = base
        let finish: @Sendable (Int64) -> Void = { [self] bytesSent in
            var record = prepared
            record.bytesSent = bytesSent
            record.totalTimeMillis = Self.millis(from: trace.startNanos, to: DispatchTime.now().uptimeNanoseconds)
            if let target { write(record, source: trace.bucket, target: target, trace: trace, to: accessLog) }
            if let sourceTarget, let source = trace.copySource {
                var read = record
                read.bucket = source.bucket
                read.operation = AccessLogOperation.copySourceRead(record.operation)
                read.key = AccessLogRecord.encodeKey(source.key, twice: true)
                read.versionId = source.versionId
                read.objectSize = source.size
                read.bytesSent = 0
                accessLog.spool.append(source: source.bucket, target: sourceTarget, eventMillis: read.timeMillis, line: read.lineBytes())
            }
        }
        var response = response
        switch response.body {
        case .empty: finish(0)
        case .bytes(let buffer): finish(Int64(buffer.readableBytes))
        case .stream(let length, let produce):
            response.body = .stream(length: length) { writer in
                let counting = CountingWriter(writer)
                do {
                    try await produce(counting)
                } catch {
                    finish(counting.count)
                    throw error
                }
                finish(counting.count)
            }
        }
        return response
    }

    private func baseRecord(_ trace: AccessLogTrace, _ request: APIRequest, _ response: APIResponse, requestId: String) -> AccessLogRecord {
        let query = trace.query ?? QueryParameters(raw: request.rawQuery)
        let operation = AccessLogOperation.name(method: request.method, hasKey: !trace.key.isEmpty, query: query,
                                                copySource: request.header("x-amz-copy-source") != nil)
        let bucketOwner = (try? store.configuration(bucket: trace.bucket))?.map { account($0.owner) } ?? .default
        var record = AccessLogRecord(bucketOwner: bucketOwner.canonicalUserId, bucket: trace.bucket, timeMillis: trace.receivedMillis,
                                     requestId: requestId, operation: operation)
        record.remoteIP = request.remoteAddress
        if let auth = trace.auth {
            // AWS logs an account's root by its canonical id and an IAM user by its ARN.
            let requester = trace.requester ?? Identity(account: .default, userName: nil)
            record.requester = requester.isRoot ? requester.account.canonicalUserId : requester.arn
            record.signatureVersion = auth.isSignatureV2 ? "SigV2" : "SigV4"
            record.authenticationType = auth.isPresigned ? "QueryString" : "AuthHeader"
        }
        record.key = trace.key.isEmpty ? nil : AccessLogRecord.encodeKey(trace.key, twice: true)
        record.requestURI = "\(request.method.rawValue) \(request.rawPath)\(request.rawQuery.isEmpty ? "" : "?" + request.rawQuery) HTTP/1.1"
        record.status = response.status.code
        record.errorCode = trace.errorCode
        record.objectSize = trace.objectSize
        record.referer = request.header("referer")
        record.userAgent = request.header("user-agent")
        record.versionId = query["versionId"]
        record.hostId = hostId
        record.hostHeader = request.header("host")
        return record
    }

    private func write(_ record: AccessLogRecord, source: String, target: BucketLogging, trace: AccessLogTrace, to accessLog: AccessLog) {
        accessLog.spool.append(source: source, target: target, eventMillis: record.timeMillis, line: record.lineBytes())
        for deleted in trace.batchDeleted {
            var batch = record
            batch.operation = AccessLogOperation.batchDelete
            batch.key = AccessLogRecord.encodeKey(deleted.key, twice: false)
            batch.versionId = deleted.versionId
            batch.status = 204
            batch.errorCode = nil
            batch.bytesSent = 0
            batch.objectSize = nil
            accessLog.spool.append(source: source, target: target, eventMillis: batch.timeMillis, line: batch.lineBytes())
        }
    }

    static func millis(from start: UInt64, to end: UInt64) -> Int64 { end > start ? Int64((end - start) / 1_000_000) : 0 }
}

/// Counts what a streamed body writes.
private final class CountingWriter: ResponseBodyWriter, @unchecked Sendable {
    // Unchecked: one response body is written by one task, in order.
    let inner: any ResponseBodyWriter
    var count: Int64 = 0
    init(_ inner: any ResponseBodyWriter) { self.inner = inner }
    func write(_ buffer: ByteBuffer) async throws {
        try await inner.write(buffer)
        count += Int64(buffer.readableBytes)
    }
}

/// Runs async jobs one after another: a flush asked for while one runs starts after it.
final class SerialTasks: @unchecked Sendable {
    // Unchecked: `tail` is only touched under `lock`.
    private let lock = NSLock()
    private var tail: Task<Void, Never>?

    func run<T: Sendable>(_ job: @escaping @Sendable () async -> T) async -> T {
        let task: Task<T, Never> = lock.withLock {
            let previous = tail
            let next = Task { () async -> T in
                await previous?.value
                return await job()
            }
            tail = Task { _ = await next.value }
            return next
        }
        return await task.value
    }
}
