import FrontDoors
import HTTPTypes

extension S3Service {
    /// Whether `requester` may make the S3 request `method target` (path-style), routed and authorized exactly as a
    /// signed request would be, without performing it: how the console decides what a user may see.
    /// `remoteAddress` is the caller's, for policies that condition on `aws:SourceIp`.
    public func permits(_ requester: Identity, _ method: HTTPRequest.Method, _ target: String, remoteAddress: String?) async -> Bool {
        let request = APIRequest(method: method, target: target, headers: [:], remoteAddress: remoteAddress)
        do {
            let (bucket, key, _) = try addressing.address(request)
            let query = QueryParameters(raw: request.rawQuery)
            let operation = try S3Router.route(method: method, bucket: bucket.isEmpty ? nil : bucket, key: key.isEmpty ? nil : key,
                                               query: query, headers: request.headers)
            let context = S3Context(request: request, operation: operation, bucket: bucket, key: key, query: query, auth: nil,
                                    requester: requester, requestId: "", trace: nil)
            try await authorize(context)
            return true
        } catch {
            return false
        }
    }
}
