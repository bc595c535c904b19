import Foundation
import FrontDoors
import HTTPTypes
import KeyService
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
import Logging
import NIOCore
import S3API
import SigV4
import Store
import Testing

// MARK: - Server under test

/// One fresh store and S3 front door per test, in a temp directory removed afterwards.
final class S3TestServer: @unchecked Sendable {
    // Unchecked: every member is a constant of a Sendable type or only used from the test's own task.
    let directory: String
    let clock: ManualClock
    let store: ObjectStore
    let keyring: Keyring
    let service: S3Service
    let signer = RequestSigner()

    /// `accessLog`: keep server access logs (spooled in the test's directory; delivered by `service.flushAccessLogs()`).
    /// `users`: more users beside the test credentials' root (a users file's); `legacyBucketDefaults`: new buckets get
    /// S3's pre-2023 defaults.
    init(region: String = "us-east-1", accessLog: Bool = false, accessLogSegmentLimit: Int = 8 << 20, users: [UsersFile.User] = [],
         legacyBucketDefaults: Bool = false) throws {
        directory = NSTemporaryDirectory() + "lockstep-s3tests-" + UUID().uuidString
        clock = ManualClock()
        store = try ObjectStore(dataDirectory: directory, clock: clock)
        let clock = self.clock
        keyring = try Keyring(dataDirectory: directory, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment),
                              now: { clock.nowMillis() })
        let log = accessLog ? AccessLog(spool: try AccessLogSpool(dataDirectory: directory, now: { clock.nowMillis() }, segmentLimit: accessLogSegmentLimit,
                                                          logger: Logger(label: "test"))) : nil
        service = S3Service(store: store, keyring: keyring,
                            configuration: S3ServiceConfiguration(region: region, legacyBucketDefaults: legacyBucketDefaults),
                            authenticator: Authenticator(users: UserDirectory(rootAccessKey: testAccessKey, rootSecretKey: testSecretKey, users: users),
                                                         nowMillis: { clock.nowMillis() }),
                            accessLog: log)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// `/bucket/key` with the key encoded as AWS clients encode it (`/` kept).
    static func path(_ bucket: String, _ key: String? = nil) -> String {
        guard let key else { return "/" + bucket }
        return "/" + bucket + "/" + sigV4URIEncode(key, encodeSlash: false)
    }

    /// Sends one request through the S3 front door and collects the whole response.
    func send(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
              body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed,
              transferChunk: Int = 7_919, declaredLength: Int? = nil, host: String = testHost,
              signingService: String = "s3") async -> Reply {
        let request = signer.request(method, path, query: query, headers: headers, body: body, payload: payload, auth: auth,
                                     date: clock.date, transferChunk: transferChunk, declaredLength: declaredLength, host: host,
                                     signingService: signingService)
        return await collect(await service.handle(request))
    }

    func collect(_ response: APIResponse) async -> Reply {
        let reply = await Reply.collect(response)
        if let failure = reply.streamError { Issue.record("streaming the response body failed: \(failure)") }
        return reply
    }

    // MARK: Conveniences

    @discardableResult
    func createBucket(_ name: String, body: [UInt8] = []) async -> Reply {
        let reply = await send(.put, Self.path(name), body: body)
        #expect(reply.status == 200, "CreateBucket \(name): \(reply.status) \(reply.text)")
        return reply
    }

    @discardableResult
    func put(_ bucket: String, _ key: String, _ body: [UInt8], headers: [(String, String)] = [], query: String = "",
             payload: PayloadStyle = .sha256) async -> Reply {
        await send(.put, Self.path(bucket, key), query: query, headers: headers, body: body, payload: payload)
    }

    func get(_ bucket: String, _ key: String, query: String = "", headers: [(String, String)] = []) async -> Reply {
        await send(.get, Self.path(bucket, key), query: query, headers: headers)
    }

    func head(_ bucket: String, _ key: String, query: String = "", headers: [(String, String)] = []) async -> Reply {
        await send(.head, Self.path(bucket, key), query: query, headers: headers)
    }

    func delete(_ bucket: String, _ key: String, query: String = "") async -> Reply {
        await send(.delete, Self.path(bucket, key), query: query)
    }

    func setVersioning(_ bucket: String, _ status: String) async {
        let body = Array("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>\(status)</Status></VersioningConfiguration>".utf8)
        let reply = await send(.put, Self.path(bucket), query: "versioning", body: body)
        #expect(reply.status == 200, "PutBucketVersioning: \(reply.status) \(reply.text)")
    }

    /// ListObjectsV2 with the given raw query additions.
    func listV2(_ bucket: String, _ query: String = "") async -> Reply {
        await send(.get, Self.path(bucket), query: "list-type=2" + (query.isEmpty ? "" : "&" + query))
    }
}

// MARK: - Helpers

func md5Hex(_ bytes: [UInt8]) -> String { Digest.md5(bytes).hexString }
func md5Base64(_ bytes: [UInt8]) -> String { Base64.encode(Digest.md5(bytes)) }
func quoted(_ s: String) -> String { "\"" + s + "\"" }

/// Query-string encoding of one value (AWS rules).
func q(_ s: String) -> String { sigV4URIEncode(s, encodeSlash: true) }

/// Decodes an `encoding-type=url` value, accepting `+` or `%20` for a space as clients do (unquote_plus).
func formDecode(_ s: String) -> String {
    let bytes = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    while i < bytes.count {
        if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) {
            out.append(hi << 4 | lo); i += 3
        } else if bytes[i] == UInt8(ascii: "+") {
            out.append(0x20); i += 1
        } else {
            out.append(bytes[i]); i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Checks the parts every S3 error response must have.
func expectWellFormedError(_ reply: Reply, code: String, status: Int, resource: String? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status), body \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.errorCode == code, "body \(reply.text)", sourceLocation: sourceLocation)
    let requestId = reply.header("x-amz-request-id")
    #expect(requestId != nil && !requestId!.isEmpty, sourceLocation: sourceLocation)
    #expect(reply.header("x-amz-id-2") != nil, sourceLocation: sourceLocation)
    #expect(reply.header("Content-Type") == "application/xml", sourceLocation: sourceLocation)
    guard let root = reply.xml else {
        Issue.record("error body is not XML: \(reply.text)", sourceLocation: sourceLocation)
        return
    }
    #expect(root.name == "Error", sourceLocation: sourceLocation)
    for element in ["Code", "Message", "Resource", "RequestId", "HostId"] {
        #expect(root.child(element) != nil, "missing <\(element)> in \(reply.text)", sourceLocation: sourceLocation)
    }
    #expect(!(root.value("Message") ?? "").isEmpty, sourceLocation: sourceLocation)
    #expect(root.value("RequestId") == requestId, sourceLocation: sourceLocation)
    #expect(root.value("HostId") == reply.header("x-amz-id-2"), sourceLocation: sourceLocation)
    if let resource { #expect(root.value("Resource") == resource, sourceLocation: sourceLocation) }
}

/// An HTTP date `seconds` away from `millis`, at whole-second precision.
func httpDate(millis: Int64, offsetSeconds: Int64 = 0) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis / 1000 + offsetSeconds)))
}
