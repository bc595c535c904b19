import Foundation
import FrontDoors
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LockstepServer
import LockstepTestSupport
import Logging
import S3API
import Store

/// A whole server as `ServerFixture` builds it, plus what observation adds: its own metrics, recent-request ring and
/// request observer, an access log, and a lifecycle runner that reports its passes to the metrics.
final class MetricsFixture: @unchecked Sendable {
    // Unchecked: every member is a constant of a Sendable type.
    let base: ServerFixture
    let metrics: ServerMetrics
    /// nil with `--no-metrics`, as the server's observer then has none.
    let observedMetrics: ServerMetrics?
    let recent = RecentRequests(capacity: 100)
    let lifecycle: LifecycleRunner
    let accessLog: AccessLog
    let protocols: ProtocolRouter
    let logger: Logger

    /// `metricsEnabled: false` is `--no-metrics`; `logLines` receives the request log as JSON lines when given.
    init(users: [UsersFile.User] = [], metricsPublic: Bool = false, metricsEnabled: Bool = true,
         logLines: (@Sendable ([UInt8]) -> Void)? = nil) throws {
        base = try ServerFixture(users: users)
        let metrics = ServerMetrics()
        self.metrics = metrics
        observedMetrics = metricsEnabled ? metrics : nil
        lifecycle = LifecycleRunner(store: base.store, schedule: LifecycleSchedule()) { metrics.recordLifecyclePass($0) }
        let storeClock = base.storeClock
        accessLog = AccessLog(spool: try AccessLogSpool(dataDirectory: base.directory, now: { storeClock.nowMillis() },
                                                        logger: Logger(label: "metrics-tests")))
        var configuration = ServerConfiguration(accessKey: testAccessKey, secretKey: testSecretKey)
        configuration.users = users
        configuration.metricsPublic = metricsPublic
        protocols = LockstepServer.frontDoors(configuration, store: base.store, tables: base.tables, clock: base.storeClock,
                                              keyring: base.keyring, lifecycle: lifecycle, accessLog: accessLog,
                                              metrics: metricsEnabled ? metrics : nil, signingClock: base.clock,
                                              logger: Logger(label: "metrics-tests"))
        if let logLines {
            var logger = Logger(label: "lockstep") { JSONLogHandler(label: $0, write: logLines) }
            logger.logLevel = .debug
            self.logger = logger
        } else {
            self.logger = Logger(label: "metrics-tests")
        }
    }

    var s3: S3Service { protocols.s3 as! S3Service }

    func application() -> some ApplicationProtocol {
        LockstepServer.application(protocols: protocols, address: "127.0.0.1", port: 0, maxConnections: 64,
                                   observer: RequestObserver(recent: recent, metrics: observedMetrics, logger: logger),
                                   logger: Logger(label: "metrics-tests"))
    }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, query: String = "",
              headers: [(String, String)] = [], body: [UInt8] = [], auth: AuthStyle = .signed,
              signingService: String = "s3") async throws -> TestResponse {
        try await base.send(client, method, path, query: query, headers: headers, body: body, auth: auth, signingService: signingService)
    }

    /// A JSON protocol request: `target` is `TrentService.CreateKey`, `DynamoDB_20120810.PutItem`, ….
    func json(_ client: some TestClientProtocol, _ target: String, _ body: String) async throws -> TestResponse {
        let kms = target.hasPrefix("TrentService.")
        let headers = [("X-Amz-Target", target), ("Content-Type", kms ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0")]
        return try await send(client, .post, "/", headers: headers, body: Array(body.utf8), signingService: kms ? "kms" : "dynamodb")
    }

    /// The last request's summary, as the observer recorded it.
    var lastSummary: RequestSummary? { recent.snapshot().last?.summary }

    /// `GET /_lockstep/metrics` with Basic credentials (the test root's unless others are given).
    func scrape(_ client: some TestClientProtocol, accessKey: String = testAccessKey, secretKey: String = testSecretKey) async throws -> Exposition {
        var headers = HTTPFields()
        headers[.authorization] = "Basic " + Data("\(accessKey):\(secretKey)".utf8).base64EncodedString()
        let response = try await client.execute(uri: "/_lockstep/metrics", method: .get, headers: headers)
        return Exposition(String(buffer: response.body))
    }
}

/// The Prometheus text format, read back: every sample by name and labels.
struct Exposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { Self.sample(String($0)) }
    }

    /// The value of the one sample named `name` whose labels are exactly `labels`; nil when there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// `name{a="b",c="d"} 12` (label values here never hold `,` or escaped quotes).
    static func sample(_ line: String) -> Sample? {
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
        var labels: [String: String] = [:]
        for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}
