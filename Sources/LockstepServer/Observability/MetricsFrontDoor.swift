import FrontDoors
import HTTPDates
import HTTPTypes
import NIOCore
import S3API
import Store

/// `GET /_lockstep/metrics`: the Prometheus text exposition of `ServerMetrics`. Scrapers authenticate as the Terraform
/// http backend's clients do, with any configured user's access key and secret as HTTP Basic credentials (Prometheus'
/// `basic_auth`), unless the server runs with `--metrics-public`. With `--no-metrics` the server has no such front
/// door and the path is the admin API's 404.
public struct MetricsFrontDoor: FrontDoor {
    public static let path = "/_lockstep/metrics"

    let metrics: ServerMetrics
    let authenticator: Authenticator
    let isPublic: Bool
    let store: ObjectStore?
    let accessLog: AccessLogSpool?

    public init(metrics: ServerMetrics, authenticator: Authenticator, isPublic: Bool, store: ObjectStore?, accessLog: AccessLogSpool?) {
        self.metrics = metrics
        self.authenticator = authenticator
        self.isPublic = isPublic
        self.store = store
        self.accessLog = accessLog
    }

    public static func handles(_ request: APIRequest) -> Bool { request.rawPath == path }

    public func handle(_ request: APIRequest) async -> APIResponse {
        var response: APIResponse
        if request.method != .get && request.method != .head {
            response = Self.plainText(.methodNotAllowed, "GET \(Self.path) only\n")
            response.set("Allow", "GET, HEAD")
        } else if !isPublic && !authenticator.acceptsBasic(request) {
            // One answer for missing and wrong credentials, as Prometheus expects of basic_auth.
            response = Self.plainText(.unauthorized, "\(Self.path) needs a user's access key and secret key as HTTP Basic credentials\n")
            response.set("WWW-Authenticate", #"Basic realm="lockstep""#)
        } else if request.method == .head {
            // No body to send, so no store scan to pay for.
            response = APIResponse(status: .ok)
            response.set("Content-Type", "text/plain; version=0.0.4")
        } else {
            let text = await metrics.exposition(store: store, accessLog: accessLog)
            response = APIResponse(status: .ok, body: .bytes(ByteBuffer(bytes: text)))
            response.set("Content-Type", "text/plain; version=0.0.4")
        }
        response.summary = RequestSummary(service: "admin", operation: "Metrics",
                                          errorCode: response.status == .unauthorized ? "Unauthorized" : nil)
        response.set("Server", "Lockstep")
        response.set("Date", HTTPDate.format(authenticator.nowMillis()))
        return response
    }

    static func plainText(_ status: HTTPResponse.Status, _ text: String) -> APIResponse {
        var response = APIResponse(status: status, body: .bytes(ByteBuffer(string: text)))
        response.set("Content-Type", "text/plain; charset=utf-8")
        return response
    }
}
