import AccessPolicy
import AWSJSON
import DynamoDBModel
import Foundation
import FrontDoors
import HTTPDates
import LockstepCrypto
import LockstepXML
import NIOCore
@testable import S3API
@testable import SigV4

/// One parser of untrusted input, driven with arbitrary bytes. A target may throw (that is the parser refusing the
/// input); it must never crash, hang or run out of memory.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

enum FuzzTargets {
    static let all: [FuzzTarget] = [xml, awsChunked, sigV4, httpDates, byteRanges, dynamoDBExpressions, dynamoDBItems,
                                     bucketPolicy, postForm, cors]

    /// Bucket policies: any document either compiles or is MalformedPolicy; what compiles evaluates.
    static let bucketPolicy = FuzzTarget(name: "bucket-policy") { bytes in
        guard let policy = try? BucketPolicy(json: bytes, bucket: "bucket") else { return }
        var context = ConditionContext()
        context["aws:SourceIp"] = ["10.1.2.3"]
        context["s3:prefix"] = ["home/alice/"]
        context["aws:CurrentTime"] = ["2026-12-05T08:00:00Z"]
        let alice = PolicyPrincipal(accountId: "111111111111", arn: "arn:aws:iam::111111111111:user/alice", userName: "alice",
                                    canonicalUserId: String(repeating: "a", count: 64))
        for principal in [alice, nil] {
            for (action, resource) in [("s3:GetObject", "arn:aws:s3:::bucket/home/alice/x"), ("s3:ListBucket", "arn:aws:s3:::bucket")] {
                _ = policy.evaluate(PolicyRequest(principal: principal, action: action, resource: resource, context: context))
            }
        }
        _ = policy.isPublic
    }

    /// POST Object forms: the first byte picks the piece size, the rest is a form body under a fixed boundary, read
    /// field by field and file chunk by chunk; its `policy` field (if any) is decoded and checked.
    static let postForm = FuzzTarget(name: "post-form") { bytes in
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        let piece = Int(first) + 1
        nonisolated(unsafe) var offset = 0
        let reader = PostFormReader(boundary: "xyz") {
            guard offset < body.count else { return nil }
            let end = min(body.count, offset + piece)
            defer { offset = end }
            return ByteBuffer(bytes: body[offset..<end])
        }
        let done = DispatchSemaphore(value: 0)
        Task {
            defer { done.signal() }
            guard let form = try? await reader.readFields() else { return }
            while (try? await reader.nextFileChunk()) != nil {}
            if let text = form.value("policy"), let policy = try? PostPolicy(base64: text) {
                _ = try? policy.check(form, bucket: "bucket", nowMillis: 1_700_000_000_000)
                _ = try? policy.checkLength(Int64(body.count))
            }
            _ = SuccessAction(form).redirectLocation(bucket: "bucket", key: form.key ?? "", etag: "\"e\"")
        }
        done.wait()
    }

    /// CORS configurations from any XML, and the preflights they answer.
    static let cors = FuzzTarget(name: "cors") { bytes in
        guard let root = try? XMLParser.parse(bytes), let configuration = try? CORSConfiguration(xml: root) else { return }
        var writer = XMLWriter()
        configuration.write(into: &writer)
        _ = configuration.preflight(origin: "http://www.example.com", method: "PUT", requestHeaders: ["x-amz-date", "content-type"])
        _ = configuration.headers(forOrigin: "https://a.b", method: "GET")
    }

    /// The XML reader every S3 request body goes through (tagging, versioning, encryption, DeleteObjects, multipart).
    static let xml = FuzzTarget(name: "xml") { bytes in
        guard let root = try? XMLParser.parse(bytes) else { return }
        // Whatever parsed can be walked and written back.
        var writer = XMLWriter()
        func write(_ node: XMLNode, _ x: inout XMLWriter) {
            x.group(node.name) { x in
                if node.children.isEmpty { x.text(node.text) }
                for child in node.children { write(child, &x) }
            }
        }
        write(root, &writer)
        _ = try? XMLParser.parse(writer.bytes)
    }

    /// aws-chunked bodies, unsigned with a trailer and signed, fed in pieces whose sizes come from the input too.
    static let awsChunked = FuzzTarget(name: "aws-chunked") { bytes in
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        let signing: AWSChunkedDecoder.Signing = first & 1 == 0
            ? .unsigned
            : .signed(signingKey: [UInt8](repeating: 7, count: 32), amzDate: "20250101T000000Z", scope: "20250101/us-east-1/s3/aws4_request",
                      seedSignature: String(repeating: "a", count: 64))
        let decoder = AWSChunkedDecoder(signing: signing, trailerExpected: first & 2 != 0)
        let piece = Int(first >> 2) + 1
        var offset = 0
        do {
            while offset < body.count {
                let end = min(body.count, offset + piece)
                try body[offset..<end].withUnsafeBytes { chunk in try decoder.feed(chunk) { _ in } }
                offset = end
            }
            try decoder.finish()
        } catch {}
    }

    /// The SigV4 front end: Authorization header, presigned query, credential scope, canonical request of any request.
    static let sigV4 = FuzzTarget(name: "sigv4") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst(2) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let target = lines.first ?? "/"
        let query = lines.count > 1 ? lines[1] : ""
        let request = SignableRequest(method: "GET", rawPath: target, rawQuery: query, headers: headers)
        let verifier = SigV4Verifier(credentials: StaticCredentialProvider(["AKIDEXAMPLE": "secret"]))
        _ = try? verifier.verify(request, service: "s3", now: Date(timeIntervalSince1970: 1_440_938_160))
        // Signature Version 2, path-style and virtual-hosted.
        _ = try? verifier.verify(request, service: "s3", now: Date(timeIntervalSince1970: 1_440_938_160),
                                 signatureV2: SignatureV2Context(virtualHostBucket: nil))
        _ = try? verifier.verify(request, service: "s3", now: Date(timeIntervalSince1970: 1_440_938_160),
                                 signatureV2: SignatureV2Context(virtualHostBucket: "bucket"))
        _ = try? verifier.verify(request, service: "kms", now: Date(timeIntervalSince1970: 1_440_938_160), bodySHA256Hex: emptySHA256Hex)
        _ = try? AuthorizationHeader.parse(text)
        _ = canonicalURICandidates(rawPath: target)
        _ = percentDecodedUTF8(target)
    }

    /// Every date form a request may carry: HTTP dates (conditional requests), X-Amz-Date, RFC 1123 `Date`.
    static let httpDates = FuzzTarget(name: "http-dates") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let millis = HTTPDate.parse(text) { _ = HTTPDate.format(millis) }
        if let seconds = AmzDate.parseBasic(text) { _ = AmzDate.formatBasic(seconds) }
        if let seconds = AmzDate.parseHTTP(text) { _ = AmzDate.formatISO8601(seconds) }
    }

    /// `Range` and `x-amz-copy-source-range`, against object sizes from empty to huge.
    static let byteRanges = FuzzTarget(name: "byte-ranges") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        guard let spec = ByteRangeSpec(text) else { return }
        for size: Int64 in [0, 1, 100, 1 << 20, Int64.max / 2, Int64.max] {
            if let range = try? spec.forRead(size: size, requested: text) {
                precondition(range.lowerBound >= 0 && range.upperBound <= size && !range.isEmpty, "\(text) on \(size) gave \(range)")
            }
        }
        _ = try? S3Router.copySourceRange(text)
    }

    /// DynamoDB's expression language: the text as a condition, an update, a projection and a key condition, with
    /// placeholders for every name and value it could mention; whatever parses is evaluated or applied.
    static let dynamoDBExpressions = FuzzTarget(name: "dynamodb-expressions") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let names = Dictionary(uniqueKeysWithValues: ["#a", "#b", "#n"].map { ($0, String($0.dropFirst())) })
        let values: [String: AttributeValue] = [":s": .string("x"), ":n": .number(DynamoNumber(1)), ":l": .list([.null]),
                                                ":ss": .stringSet(["x"]), ":m": .map(["a": .bool(true)])]
        let item: Item = ["a": .number(DynamoNumber(2)), "b": .list([.string("x"), .map(["c": .binary([1])])]), "n": .stringSet(["x", "y"])]
        var attributes = ExpressionAttributes(names: names, values: values)
        if let condition = try? ConditionExpression.parse(text, &attributes) { _ = condition.evaluate(item) }
        attributes = ExpressionAttributes(names: names, values: values)
        if let update = try? UpdateExpression.parse(text, &attributes) {
            var updated = item
            try? update.apply(to: &updated)
        }
        attributes = ExpressionAttributes(names: names, values: values)
        if let projection = try? ProjectionExpression.parse(text, &attributes) { _ = projection.apply(item) }
        attributes = ExpressionAttributes(names: names, values: values)
        let schema = KeySchema(hash: KeyAttribute(name: "a", type: .number), range: KeyAttribute(name: "b", type: .string))
        _ = try? KeyCondition.parse(text, &attributes, schema: schema)
    }

    /// DynamoDB items as JSON: attribute values of every type, read with DynamoDB's validation, written back and read
    /// again, sized, and their key bytes taken.
    static let dynamoDBItems = FuzzTarget(name: "dynamodb-items") { bytes in
        guard let json = try? JSONValue.parse(bytes),
              let item = try? ItemCodec.item(json, member: "Item") else { return }
        _ = ItemCodec.size(item)
        _ = item.values.map(\.keyBytes)
        _ = try? ItemCodec.decode(ItemCodec.encode(item))
    }
}
