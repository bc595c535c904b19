import FrontDoors
import HTTPTypes

/// What `S3Service.handle` learns about a request as it goes, turned into its `RequestSummary` at the end. Cheap on
/// purpose: it runs for every request.
struct S3SummaryNotes {
    var key = ""
    var operation: S3Operation?
    /// The signer's ARN, `anonymous` when unsigned; nil when authentication failed.
    var requester: String?
    var errorCode: String?
    /// A DELETE without a version id took away a live current `.tflock` (not a missing key, not a delete marker).
    var removedLockfile = false

    func summary(_ request: APIRequest, bucket: String, status: HTTPResponse.Status, requestId: String) -> RequestSummary {
        let operation = self.operation ?? routedForSummary(request, bucket: bucket)
        return RequestSummary(service: "s3", operation: operationName(operation, request), bucket: bucket.isEmpty ? nil : bucket,
                              key: key.isEmpty ? nil : key, errorCode: errorCode, requester: requester, requestId: requestId,
                              lock: lockEvent(operation, request, status: status))
    }

    /// A request refused before routing (a bad signature, say) is still named by what it asked for, when it names
    /// anything: only failures get here, so the second routing costs successful requests nothing.
    private func routedForSummary(_ request: APIRequest, bucket: String) -> S3Operation? {
        guard errorCode != nil, request.method != .options else { return nil }
        return try? S3Router.route(method: request.method, bucket: bucket.isEmpty ? nil : bucket, key: key.isEmpty ? nil : key,
                                   query: QueryParameters(raw: request.rawQuery), headers: request.headers)
    }

    private func operationName(_ operation: S3Operation?, _ request: APIRequest) -> String {
        if let operation { return operation.name }
        return request.method == .options ? "CORSPreflight" : "Unknown"
    }

    /// Terraform's S3-native lock (`use_lockfile`): `PUT <key>.tflock` with `If-None-Match: *` takes it, a 412 or 409
    /// is the lock refused, a `DELETE` (no version id) that took away the live `.tflock` releases it.
    private func lockEvent(_ operation: S3Operation?, _ request: APIRequest, status: HTTPResponse.Status) -> RequestSummary.LockEvent? {
        switch operation {
        case .putObject?:
            guard key.hasSuffix(".tflock"), request.header("if-none-match") == "*" else { return nil }
            if status.kind == .successful { return .init(path: .s3Lockfile, outcome: .acquired) }
            if errorCode == S3ErrorCode.preconditionFailed.rawValue || errorCode == S3ErrorCode.conditionalRequestConflict.rawValue {
                return .init(path: .s3Lockfile, outcome: .refused)
            }
            return nil
        case .deleteObject?:
            guard removedLockfile, status.kind == .successful else { return nil }
            return .init(path: .s3Lockfile, outcome: .released)
        default:
            return nil
        }
    }
}
