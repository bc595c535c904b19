import Foundation
import HummingbirdTesting
import LockstepServer
import LockstepTestSupport
import Logging
import Testing

/// `--log-format json`: one parseable object per line with the fixed fields and the metadata beside them; and the
/// request log written through it (a debug line per request, never the request's credentials).
@Suite("Metrics and logs: JSON log lines")
struct MetricsLogTests {
    /// Collects what a handler writes.
    final class Lines: @unchecked Sendable {
        // Unchecked: `lines` is only touched under `lock`.
        private let lock = NSLock()
        private var lines: [[UInt8]] = []
        var write: @Sendable ([UInt8]) -> Void { { line in self.lock.withLock { self.lines.append(line) } } }
        var objects: [[String: Any]] {
            lock.withLock { lines }.compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        }
        var raw: [String] { lock.withLock { lines }.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func aLineIsOneJSONObjectWithTheFixedFieldsAndFlattenedMetadata() throws {
        let lines = Lines()
        var logger = Logger(label: "lockstep.test") { JSONLogHandler(label: $0, write: lines.write) }
        logger.logLevel = .debug
        logger[metadataKey: "component"] = "tests"
        logger.info("said \"hello\"\nand left", metadata: ["count": .stringConvertible(3), "ratio": .stringConvertible(0.5),
                                                          "nested": ["a": "b"], "list": ["x", "y"], "level": "shadowed"])
        logger.trace("below the level")

        let raw = try #require(lines.raw.first)
        #expect(lines.raw.count == 1)
        #expect(raw.hasSuffix("}\n"))
        #expect(!raw.dropLast().contains("\n"))
        let object = try #require(lines.objects.first)
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "said \"hello\"\nand left")
        #expect(object["label"] as? String == "lockstep.test")
        #expect(object["component"] as? String == "tests")
        #expect(object["count"] as? Int == 3)
        #expect(object["ratio"] as? Double == 0.5)
        #expect((object["nested"] as? [String: String]) == ["a": "b"])
        #expect((object["list"] as? [String]) == ["x", "y"])
        #expect(object["_level"] as? String == "shadowed")
        let time = try #require(object["time"] as? String)
        // ISO 8601 in UTC with milliseconds: 2026-12-05T10:43:27.123Z.
        #expect(time.count == 24)
        #expect(time.hasSuffix("Z"))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(formatter.date(from: time) != nil)
    }

    @Test func eachRequestIsADebugLineWithoutItsCredentials() async throws {
        let lines = Lines()
        let fixture = try MetricsFixture(logLines: lines.write)
        try await fixture.application().test(.router) { client in
            let created = try await fixture.send(client, .put, "/logged")
            _ = try await fixture.send(client, .get, "/logged/nothing", query: "response-cache-control=no-cache")
            let requests = lines.objects.filter { $0["message"] as? String == "request" }
            #expect(requests.count == 2)
            let first = try #require(requests.first)
            #expect(first["level"] as? String == "debug")
            #expect(first["method"] as? String == "PUT")
            #expect(first["path"] as? String == "/logged")
            #expect(first["status"] as? Int == 200)
            #expect(first["operation"] as? String == "CreateBucket")
            #expect(first["service"] as? String == "s3")
            #expect(first["request_id"] as? String == created.headers[.init("x-amz-request-id")!])
            #expect(first["latency_ms"] is Double)
            let second = try #require(requests.last)
            #expect(second["status"] as? Int == 404)
            #expect(second["error_code"] as? String == "NoSuchKey")
            for line in lines.raw {
                #expect(!line.contains("AWS4-HMAC-SHA256"))
                #expect(!line.contains("response-cache-control"))
            }
        }
    }

    @Test func logFormatsMakeTheirHandlers() {
        #expect(LogFormat(rawValue: "json") == .json)
        #expect(LogFormat(rawValue: "yaml") == nil)
        let logger = LogFormat.json.logger(level: .warning)
        #expect(logger.logLevel == .warning)
        #expect(logger.handler is JSONLogHandler)
        #expect(LogFormat.text.logger(level: .info).handler is StreamLogHandler)
    }
}
