import Foundation
import LockstepCrypto
import LockstepTestSupport
import S3API
import Store
import Testing

/// Server access logging: Put/GetBucketLogging with AWS's validation, the record format field by field, and delivery of
/// records as log objects (naming, grouping, failures kept pending, idempotent redelivery).
@Suite("Access logging")
struct AccessLogTests {
    static let owner = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

    /// Every field of AWS's current format, strictly: each capture is one field.
    static let recordPattern = try! NSRegularExpression(pattern: #"""
        ^([0-9a-f]{64}) ([a-z0-9.-]+) \[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] (\S+) (\S+) ([0-9A-F]{16}) ([A-Z0-9_]+\.[A-Z]+\.[A-Z_]+) (\S+) "([A-Z]+ \S+ HTTP/1\.1)" (\d{3}) (\S+) (-|\d+) (-|\d+) (-|\d+) (-|\d+) "([^"]*)" "([^"]*)" (\S+) (\S+) (SigV4|-) (-) (AuthHeader|QueryString|-) (\S+) (-) (-) (-) (-)$
        """#)

    static let fieldNames = ["owner", "bucket", "time", "ip", "requester", "requestId", "operation", "key", "uri", "status", "error",
                             "bytesSent", "objectSize", "totalTime", "turnAround", "referer", "userAgent", "versionId", "hostId",
                             "signature", "cipher", "authType", "host", "tls", "accessPoint", "aclRequired", "sourceRegion"]

    /// A record's fields by name; a line that does not match the strict pattern fails the test.
    static func fields(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String: String] {
        let range = NSRange(line.startIndex..., in: line)
        guard let match = recordPattern.firstMatch(in: line, range: range) else {
            Issue.record("not an access log record: \(line)", sourceLocation: sourceLocation)
            return [:]
        }
        var fields: [String: String] = [:]
        for (index, name) in fieldNames.enumerated() {
            fields[name] = String(line[Range(match.range(at: index + 1), in: line)!])
        }
        return fields
    }

    func enableLogging(_ s3: S3TestServer, source: String, target: String, prefix: String, format: String = "") async -> Reply {
        let body = "<BucketLoggingStatus xmlns=\"http://doc.s3.amazonaws.com/2006-03-01\"><LoggingEnabled><TargetBucket>\(target)</TargetBucket>"
            + "<TargetPrefix>\(prefix)</TargetPrefix>\(format)</LoggingEnabled></BucketLoggingStatus>"
        return await s3.send(.put, "/" + source, query: "logging", body: Array(body.utf8))
    }

    /// Every delivered log object's lines, by key.
    func deliveredLogs(_ s3: S3TestServer, bucket: String, prefix: String) async throws -> [(key: String, lines: [String])] {
        let list = try #require(await s3.listV2(bucket, "prefix=" + q(prefix)).xml)
        var logs: [(String, [String])] = []
        for key in list.all("Contents").compactMap({ $0.value("Key") }) {
            let text = await s3.get(bucket, key).text
            #expect(text.hasSuffix("\n"))
            logs.append((key, text.split(separator: "\n").map(String.init)))
        }
        return logs
    }

    // MARK: Configuration

    @Test func loggingConfigurationRoundTripsAndAnEmptyStatusTurnsItOff() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        let empty = await s3.send(.get, "/src", query: "logging")
        #expect(empty.status == 200)
        #expect(empty.text.contains(#"<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"></BucketLoggingStatus>"#))

        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "src/").status == 200)
        var enabled = try #require(await s3.send(.get, "/src", query: "logging").xml?.child("LoggingEnabled"))
        #expect(enabled.value("TargetBucket") == "logs")
        #expect(enabled.value("TargetPrefix") == "src/")
        #expect(enabled.child("TargetObjectKeyFormat")?.child("SimplePrefix") != nil)

        let partitioned = "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>DeliveryTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "p/", format: partitioned).status == 200)
        enabled = try #require(await s3.send(.get, "/src", query: "logging").xml?.child("LoggingEnabled"))
        #expect(enabled.child("TargetObjectKeyFormat")?.child("PartitionedPrefix")?.value("PartitionDateSource") == "DeliveryTime")

        let off = await s3.send(.put, "/src", query: "logging", body: Array(#"<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"/>"#.utf8))
        #expect(off.status == 200)
        #expect(await s3.send(.get, "/src", query: "logging").xml?.child("LoggingEnabled") == nil)
    }

    @Test func malformedAndRefusedConfigurationsGetAWSsErrors() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        func put(_ inner: String) async -> Reply {
            await s3.send(.put, "/src", query: "logging", body: Array("<BucketLoggingStatus>\(inner)</BucketLoggingStatus>".utf8))
        }
        for malformed in [
            "<LoggingEnabled><TargetBucket>logs</TargetBucket></LoggingEnabled>",                                   // no TargetPrefix
            "<LoggingEnabled><TargetPrefix>p</TargetPrefix></LoggingEnabled>",                                      // no TargetBucket
            "<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix><Extra/></LoggingEnabled>",
            "<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix></LoggingEnabled>",
            "<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat></LoggingEnabled>",
            "<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Tomorrow</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>",
            "<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix><TargetGrants><Grant><Grantee><ID>x</ID></Grantee><Permission>EVERYTHING</Permission></Grant></TargetGrants></LoggingEnabled>",
            "<Unknown/>",
        ] {
            expectWellFormedError(await put(malformed), code: "MalformedXML", status: 400)
        }
        expectWellFormedError(await s3.send(.put, "/src", query: "logging", body: Array("<BucketLoggingStatus><".utf8)), code: "MalformedXML", status: 400)

        let missing = await put("<LoggingEnabled><TargetBucket>nowhere</TargetBucket><TargetPrefix>p</TargetPrefix></LoggingEnabled>")
        expectWellFormedError(missing, code: "InvalidTargetBucketForLogging", status: 400)
        #expect(missing.errorField("TargetBucket") == "nowhere")

        let grants = await put("<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p</TargetPrefix><TargetGrants><Grant>"
                               + "<Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission>"
                               + "</Grant></TargetGrants></LoggingEnabled>")
        expectWellFormedError(grants, code: "AccessControlListNotSupported", status: 400)

        let elsewhere = "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
        await s3.createBucket("far-logs", body: Array(elsewhere.utf8))
        let crossRegion = await put("<LoggingEnabled><TargetBucket>far-logs</TargetBucket><TargetPrefix>p</TargetPrefix></LoggingEnabled>")
        expectWellFormedError(crossRegion, code: "InvalidTargetBucketForLogging", status: 400)

        expectWellFormedError(await s3.send(.get, "/ghost", query: "logging"), code: "NoSuchBucket", status: 404)
        // Nothing refused was kept.
        #expect(await s3.send(.get, "/src", query: "logging").xml?.child("LoggingEnabled") == nil)
    }

    // MARK: Records

    @Test func theFormatterWritesEveryFieldInAWSsOrderQuotingAsAWSDoes() {
        var record = AccessLogRecord(bucketOwner: Self.owner, bucket: "b", timeMillis: 1_549_411_238_000, requestId: "3E57427F3EXAMPLE",
                                     operation: "REST.GET.OBJECT")
        #expect(record.line == "\(Self.owner) b [06/Feb/2019:00:00:38 +0000] - - 3E57427F3EXAMPLE REST.GET.OBJECT - \"-\" - - - - - - \"-\" \"-\" - - - - - - - - - -")
        record.remoteIP = "192.0.2.3"
        record.requester = Self.owner
        record.key = AccessLogRecord.encodeKey("photos/my file%.jpg", twice: true)
        record.requestURI = "GET /b/photos/my%20file%25.jpg?versionId=v1 HTTP/1.1"
        record.status = 200
        record.bytesSent = 2_662_992
        record.objectSize = 3_462_992
        record.totalTimeMillis = 70
        record.turnAroundMillis = 10
        record.referer = "http://example.com/a page"
        record.userAgent = #"curl/8 "quoted" agent"#
        record.versionId = "v1"
        record.hostId = "host+id="
        record.signatureVersion = "SigV4"
        record.authenticationType = "AuthHeader"
        record.hostHeader = "b.localhost:9000"
        #expect(record.line == "\(Self.owner) b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 \(Self.owner) 3E57427F3EXAMPLE REST.GET.OBJECT "
                + "photos/my%2520file%2525.jpg \"GET /b/photos/my%20file%25.jpg?versionId=v1 HTTP/1.1\" 200 - 2662992 3462992 70 10 "
                + "\"http://example.com/a page\" \"curl/8 \"quoted\" agent\" v1 host+id= SigV4 - AuthHeader b.localhost:9000 - - - -")
        #expect(AccessLogRecord.encodeKey("a b/ü%", twice: false) == "a%20b/%C3%BC%25")
        let epoch = AccessLogRecord(bucketOwner: Self.owner, bucket: "b", timeMillis: 0, requestId: "R", operation: "REST.GET.OBJECT")
        #expect(epoch.line.hasPrefix("\(Self.owner) b [01/Jan/1970:00:00:00 +0000] "))
    }

    @Test func everyRequestOnALoggedBucketLeavesOneRecordFailuresIncluded() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "src/").status == 200)
        let body = Array("hello, log".utf8)
        let put = await s3.put("src", "dir/a key.txt", body, headers: [("User-Agent", "lockstep-test/1 (in process)")])
        let get = await s3.get("src", "dir/a key.txt")
        let refused = await s3.put("src", "dir/a key.txt", body, headers: [("If-None-Match", "*")])
        let missing = await s3.head("src", "nothing")
        let forged = await s3.send(.get, "/src/dir", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"))
        let anonymous = await s3.send(.get, "/src", auth: .anonymous)
        _ = await s3.send(.get, "/src", query: "versioning")
        _ = await s3.put("logs", "unlogged", body)      // the target itself does not log

        let result = await s3.service.flushAccessLogs()
        #expect(result.delivered.count == 1)
        #expect(result.pending == 0)
        let logs = try await deliveredLogs(s3, bucket: "logs", prefix: "src/")
        try #require(logs.count == 1)
        #expect(logs[0].key.range(of: #"^src/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$"#, options: .regularExpression) != nil, "\(logs[0].key)")
        // The request that turned logging on is the first record.
        #expect(Self.fields(logs[0].lines[0])["operation"] == "REST.PUT.LOGGING_STATUS")
        let records = logs[0].lines.dropFirst().map { Self.fields($0) }
        try #require(records.count == 7)

        #expect(records.allSatisfy { $0["owner"] == Self.owner && $0["bucket"] == "src" && $0["time"] == "01/Mar/2025:12:00:00 +0000" })
        #expect(records.map { $0["operation"] } == ["REST.PUT.OBJECT", "REST.GET.OBJECT", "REST.PUT.OBJECT", "REST.HEAD.OBJECT",
                                                    "REST.GET.OBJECT", "REST.GET.BUCKET", "REST.GET.VERSIONING"])
        #expect(records.map { $0["status"] } == ["200", "200", "412", "404", "403", "403", "200"])
        #expect(records.map { $0["error"] } == ["-", "-", "PreconditionFailed", "NoSuchKey", "SignatureDoesNotMatch", "AccessDenied", "-"])
        #expect(records.prefix(6).map { $0["requestId"] } == [put, get, refused, missing, forged, anonymous].map { $0.header("x-amz-request-id") })
        #expect(records.allSatisfy { $0["hostId"] == put.header("x-amz-id-2") })

        let (p, g) = (records[0], records[1])
        #expect(p["key"] == "dir/a%2520key.txt")
        #expect(p["uri"] == "PUT /src/dir/a%20key.txt HTTP/1.1")
        #expect(p["bytesSent"] == "-")
        #expect(p["objectSize"] == "10")
        #expect(p["userAgent"] == "lockstep-test/1 (in process)")
        #expect(p["requester"] == Self.owner && p["signature"] == "SigV4" && p["authType"] == "AuthHeader")
        #expect(p["host"] == testHost)
        #expect(g["bytesSent"] == "10" && g["objectSize"] == "10")
        #expect(records[3]["bytesSent"] == "-")                        // HEAD: no body, even for its error
        #expect(Int(records[2]["bytesSent"] ?? "") ?? 0 > 0)           // the error document
        for unauthenticated in [records[4], records[5]] {
            #expect(unauthenticated["requester"] == "-" && unauthenticated["signature"] == "-" && unauthenticated["authType"] == "-")
        }
        #expect(records[5]["key"] == "-")
        #expect(records[6]["uri"] == "GET /src?versioning HTTP/1.1")

        // Delivered records are gone from the spool; delivery made no records of its own.
        #expect(await s3.service.flushAccessLogs() == AccessLogFlushResult())
    }

    @Test func presignedReadsCopiesAndMultiObjectDeletesAreNamedAsAWSNamesThem() async throws {
        let s3 = try S3TestServer(accessLog: true)
        for bucket in ["src", "dst", "logs"] { await s3.createBucket(bucket) }
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "src/").status == 200)
        #expect(await enableLogging(s3, source: "dst", target: "logs", prefix: "dst/").status == 200)
        let body = Array(repeating: UInt8(ascii: "x"), count: 300)
        _ = await s3.put("src", "k%1", body)
        let presigned = await s3.send(.get, S3TestServer.path("src", "k%1"), auth: .presigned(expires: 60, age: 0))
        #expect(presigned.status == 200)
        let copy = await s3.send(.put, S3TestServer.path("dst", "copy"), headers: [("x-amz-copy-source", "/src/k%251")])
        #expect(copy.status == 200, "\(copy.text)")
        _ = await s3.put("dst", "gone one", body)
        let delete = Array("<Delete><Object><Key>gone one</Key></Object><Object><Key>copy</Key></Object></Delete>".utf8)
        let deleted = await s3.send(.post, "/dst", query: "delete", headers: [("Content-MD5", md5Base64(delete))], body: delete)
        #expect(deleted.status == 200)

        _ = await s3.service.flushAccessLogs()
        let src = try await deliveredLogs(s3, bucket: "logs", prefix: "src/").flatMap(\.lines).dropFirst().map { Self.fields($0) }
        let dst = try await deliveredLogs(s3, bucket: "logs", prefix: "dst/").flatMap(\.lines).dropFirst().map { Self.fields($0) }
        #expect(src.map { $0["operation"] } == ["REST.PUT.OBJECT", "REST.GET.OBJECT", "REST.COPY.OBJECT_GET"])
        #expect(src[1]["authType"] == "QueryString" && src[1]["signature"] == "SigV4")
        #expect(src[1]["key"] == "k%25251")
        #expect(src[2]["key"] == "k%25251" && src[2]["objectSize"] == "300" && src[2]["bucket"] == "src")
        #expect(src[2]["requestId"] == copy.header("x-amz-request-id"))
        #expect(dst.map { $0["operation"] } == ["REST.COPY.OBJECT", "REST.PUT.OBJECT", "REST.POST.MULTI_OBJECT_DELETE",
                                                "BATCH.DELETE.OBJECT", "BATCH.DELETE.OBJECT"])
        #expect(dst[0]["objectSize"] == "300")
        // What S3 does itself is encoded once, requests twice.
        #expect(dst[3]["key"] == "gone%20one" && dst[4]["key"] == "copy")
        #expect(dst[3]["uri"] == "POST /dst?delete HTTP/1.1" && dst[3]["requestId"] == deleted.header("x-amz-request-id"))
    }

    // MARK: Delivery

    @Test func partitionedKeysCarryAccountRegionBucketAndTheEventOrDeliveryDay() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        let eventTime = "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "p/", format: eventTime).status == 200)
        _ = await s3.put("src", "day1", [1])
        s3.clock.advance(seconds: 86_400)
        _ = await s3.put("src", "day2", [2])
        s3.clock.advance(seconds: 86_400)
        let result = await s3.service.flushAccessLogs()
        let keys = result.delivered.map(\.key).sorted()
        try #require(keys.count == 2)
        // Records of two days are two objects, each under its event day; the name is the delivery time.
        #expect(keys[0].hasPrefix("p/000000000000/us-east-1/src/2025/03/01/2025-03-03-12-00-00-"), "\(keys)")
        #expect(keys[1].hasPrefix("p/000000000000/us-east-1/src/2025/03/02/2025-03-03-12-00-00-"), "\(keys)")
        #expect(try await deliveredLogs(s3, bucket: "logs", prefix: "p/").map(\.lines.count) == [2, 1])   // PUT ?logging, then a PUT
    }

    @Test func aTargetThatCannotTakeItsLogsKeepsThemPendingUntilItCan() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "l/").status == 200)
        #expect(await s3.send(.delete, "/logs").status == 204)
        _ = await s3.put("src", "a", [1])
        _ = await s3.put("src", "b", [2])
        let first = await s3.service.flushAccessLogs()
        #expect(first.delivered.isEmpty)
        #expect(first.pending == 3)    // PUT ?logging and the two PUTs
        // Still pending, and nothing duplicated, after another flush and more records.
        _ = await s3.get("src", "a")
        #expect(await s3.service.flushAccessLogs().pending == 4)
        await s3.createBucket("logs")
        let later = await s3.service.flushAccessLogs()
        #expect(later.pending == 0)
        let operations = try await deliveredLogs(s3, bucket: "logs", prefix: "l/").flatMap(\.lines).compactMap { Self.fields($0)["operation"] }
        #expect(operations.sorted() == ["REST.GET.OBJECT", "REST.PUT.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.PUT.OBJECT"])
    }

    @Test func aSegmentDeliveredAgainAfterACrashAddsNothing() async throws {
        let s3 = try S3TestServer(accessLog: true)
        await s3.createBucket("src")
        #expect(await enableLogging(s3, source: "src", target: "src", prefix: "logs/").status == 200)
        _ = await s3.put("src", "a", [1])
        let spool = try #require(s3.service.accessLog?.spool)
        let segment = try #require(try spool.seal(nowMillis: s3.clock.nowMillis()).first)
        let saved = try Data(contentsOf: URL(fileURLWithPath: spool.directory + "/" + segment))
        #expect(await s3.service.flushAccessLogs().delivered.count == 1)
        // A crash between writing the object and removing the segment leaves the segment: delivering it again finds
        // its object already there.
        try saved.write(to: URL(fileURLWithPath: spool.directory + "/" + segment))
        #expect(await s3.service.flushAccessLogs() == AccessLogFlushResult())
        #expect(try spool.sealedSegments().isEmpty)
        let logs = try await deliveredLogs(s3, bucket: "src", prefix: "logs/")
        #expect(logs.count == 1)
        #expect(logs.first?.lines.count == 2)
    }

    @Test func aTornFrameAtTheEndOfASpoolFileIsDroppedNotMisread() async throws {
        let s3 = try S3TestServer(accessLog: true)
        let spool = try #require(s3.service.accessLog?.spool)
        let target = BucketLogging(targetBucket: "logs", targetPrefix: "p/", keyFormat: .partitioned(.deliveryTime))
        spool.append(source: "src", target: target, eventMillis: 1_740_830_400_250, line: Array("one record".utf8))
        spool.append(source: "src", target: target, eventMillis: -5, line: Array("two".utf8))
        try spool.writePending()
        let segment = try #require(try spool.seal(nowMillis: 1).first)
        let path = spool.directory + "/" + segment
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func lines() throws -> [String] {
            let opened = try spool.open(segment)
            return opened.entries.map { String(decoding: opened.bytes[$0.line], as: UTF8.self) }
        }
        #expect(try lines() == ["one record", "two"])
        let entries = try spool.open(segment).entries
        #expect(entries.map(\.eventMillis) == [1_740_830_400_250, -5])
        #expect(entries.allSatisfy { $0.source == "src" && $0.target == target })
        bytes.removeLast(2)                                   // torn mid-frame
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try lines() == ["one record"])
        bytes[12] ^= 0xFF                                      // damaged inside the first frame
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try lines().isEmpty)
    }

    /// `open.log` is sealed whenever it reaches the segment limit, so one delivery never holds more than a segment.
    @Test func fullSegmentsAreSealedAndEachBecomesItsOwnObject() async throws {
        let s3 = try S3TestServer(accessLog: true, accessLogSegmentLimit: 2_000)
        await s3.createBucket("src")
        await s3.createBucket("logs")
        #expect(await enableLogging(s3, source: "src", target: "logs", prefix: "l/").status == 200)
        let spool = try #require(s3.service.accessLog?.spool)
        for i in 0..<20 {
            _ = await s3.put("src", "k\(i)", [UInt8(i)])
            try spool.writePending()
        }
        #expect(try spool.sealedSegments().count >= 3)
        let result = await s3.service.flushAccessLogs()
        #expect(result.delivered.count >= 3)
        let keys = try await deliveredLogs(s3, bucket: "logs", prefix: "l/").flatMap(\.lines).compactMap { Self.fields($0)["key"] }
        #expect(Set(keys) == Set((0..<20).map { "k\($0)" }).union(["-"]))
        #expect(keys.count == 21)
    }
}
