import AdminAPI
#if canImport(Glibc)
import Glibc
#endif
import AWSJSON
import Console
import FrontDoors
import S3API
import TerraformHTTPBackend

/// Decides which front door a request belongs to. Lockstep serves every protocol on one port, as AWS serves each on
/// its own host name:
/// - `/_lockstep/tfstate/…` is the Terraform `http` backend (`HTTPBackendFrontDoor`), `/_lockstep/metrics` the
///   Prometheus endpoint (`MetricsFrontDoor`, absent with `--no-metrics`); the rest of `/_lockstep/…` is Lockstep's
///   admin API (`AdminFrontDoor`).
/// - The AWS JSON protocols are told apart by `X-Amz-Target: <prefix>.<Operation>`; a prefix no service here serves
///   stays S3, which answers with its own error.
/// - STS (the query protocol; IAM's GetUser too) is a request signed for the service `sts` or `iam`, or an unsigned
///   form POST to `/`, which no S3 operation is.
/// - Everything else is S3 REST (path-style or virtual-hosted).
/// A new protocol adds its rule here and its front door beside the others (see docs/architecture.md).
public struct ProtocolRouter: Sendable {
    public let s3: any FrontDoor
    /// JSON protocol front doors by `X-Amz-Target` prefix (`TrentService`).
    public let jsonServices: [String: any FrontDoor]
    public let admin: any FrontDoor
    public let sts: any FrontDoor
    public let httpBackend: any FrontDoor
    /// nil when metrics are off: the path is then the admin API's, which does not serve it.
    public let metrics: (any FrontDoor)?
    /// The built-in console at `/_lockstep/console/` (`ConsoleFrontDoor`).
    public let console: (any FrontDoor)?

    public init(s3: any FrontDoor, jsonServices: [String: any FrontDoor], admin: any FrontDoor, sts: any FrontDoor,
                httpBackend: any FrontDoor, metrics: (any FrontDoor)? = nil, console: (any FrontDoor)? = nil) {
        self.s3 = s3
        self.jsonServices = jsonServices
        self.admin = admin
        self.sts = sts
        self.httpBackend = httpBackend
        self.metrics = metrics
        self.console = console
    }

    public func frontDoor(for request: APIRequest) -> any FrontDoor {
        if HTTPBackendFrontDoor.handles(request) { return httpBackend }
        if let metrics, MetricsFrontDoor.handles(request) { return metrics }
        if let console, ConsoleFrontDoor.handles(request) { return console }
        if AdminFrontDoor.handles(request) { return admin }
        if let target = request.header("x-amz-target") {
            if let dot = target.firstIndex(of: "."), let service = jsonServices[String(target[..<dot])] { return service }
            return s3
        }
        if Self.isSTS(request) { return sts }
        return s3
    }

    /// Signed for `sts` or `iam` (header or presigned), or an unsigned form-encoded POST to `/`.
    /// Asked of every request that is not JSON, so it searches bytes: `String.contains(String)` goes through Foundation
    /// on Linux and cost 4 % of a small GET's CPU.
    static func isSTS(_ request: APIRequest) -> Bool {
        if let authorization = request.header("authorization") {
            return bytes(of: authorization, contain: "/sts/aws4_request") || bytes(of: authorization, contain: "/iam/aws4_request")
        }
        if bytes(of: request.rawQuery, contain: "X-Amz-Credential=") {
            return ["sts", "iam"].contains { bytes(of: request.rawQuery, contain: "%2F\($0)%2Faws4_request")
                || bytes(of: request.rawQuery, contain: "/\($0)/aws4_request") }
        }
        return request.method == .post && request.rawPath == "/"
            && request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    }

    static func bytes(of text: String, contain needle: String) -> Bool {
        var text = text, needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { needle in
                guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
                let first = needle[0]
                var index = 0
                let last = haystack.count - needle.count
                while index <= last {
                    if haystack[index] == first, memcmp(haystack.baseAddress! + index, needle.baseAddress!, needle.count) == 0 { return true }
                    index += 1
                }
                return false
            }
        }
    }
}
