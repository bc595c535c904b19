import FrontDoors
import HTTPTypes
@testable import S3API
import Store
import Testing

/// The routing table: request lines from the examples in the Amazon S3 API Reference (path-style, or virtual-hosted
/// with `Host: <bucket>.localhost`), each with the operation and parameters it must resolve to — and the malformed
/// combinations with the error AWS gives for them.
@Suite("Router")
struct RouterTests {
    /// One request line and headers, e.g. `"GET /examplebucket?versioning"`.
    static func route(_ line: String, host: String = "localhost:9000", headers: [(String, String)] = []) throws -> S3Operation {
        let parts = line.split(separator: " ", maxSplits: 1)
        var fields = HTTPFields([HTTPField(name: HTTPField.Name("Host")!, value: host)])
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let request = APIRequest(method: HTTPRequest.Method(String(parts[0]))!, target: String(parts[1]), headers: fields)
        let (bucket, key, _) = try S3Addressing(domain: nil).address(request)
        return try S3Router.route(method: request.method, bucket: bucket.isEmpty ? nil : bucket, key: key.isEmpty ? nil : key,
                                  query: QueryParameters(raw: request.rawQuery), headers: request.headers)
    }

    static let listing = ListingQuery(prefix: "", delimiter: nil, maxKeys: 1000, urlEncoded: false)
    static let uploadId = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
    static let versionId = "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH"
    static let copySource = try! CopySource("/source-bucket/sourceobject")

    static let examples: [(String, String, [(String, String)], S3Operation)] = [
        // Service and buckets
        ("GET /", "s3.amazonaws.com", [], .listBuckets(ListBucketsQuery(prefix: nil, maxBuckets: 10000, startAfter: nil))),
        ("GET /?max-buckets=2&prefix=amzn", "localhost", [], .listBuckets(ListBucketsQuery(prefix: "amzn", maxBuckets: 2, startAfter: nil))),
        ("PUT /", "amzn-s3-demo-bucket.localhost", [], .createBucket),
        ("PUT /amzn-s3-demo-bucket", "localhost", [], .createBucket),
        ("HEAD /", "amzn-s3-demo-bucket.localhost", [], .headBucket),
        ("DELETE /", "amzn-s3-demo-bucket.localhost", [], .deleteBucket),
        ("GET /?location", "amzn-s3-demo-bucket.localhost", [], .getBucketLocation),
        ("PUT /?tagging", "examplebucket.localhost", [], .putBucketTagging),
        ("GET /?tagging", "examplebucket.localhost", [], .getBucketTagging),
        ("DELETE /examplebucket?tagging", "localhost", [], .deleteBucketTagging),
        ("PUT /?versioning", "examplebucket.localhost", [], .putBucketVersioning),
        ("GET /?versioning", "examplebucket.localhost", [], .getBucketVersioning),
        ("PUT /?encryption", "examplebucket.localhost", [], .putBucketEncryption),
        ("GET /?encryption", "examplebucket.localhost", [], .getBucketEncryption),
        ("DELETE /?encryption", "examplebucket.localhost", [], .deleteBucketEncryption),
        ("PUT /?lifecycle", "examplebucket.localhost", [], .putBucketLifecycleConfiguration),
        ("GET /?lifecycle", "examplebucket.localhost", [], .getBucketLifecycleConfiguration),
        ("DELETE /?lifecycle", "examplebucket.localhost", [], .deleteBucketLifecycle),
        ("PUT /?object-lock", "examplebucket.localhost", [], .putObjectLockConfiguration),
        ("GET /?object-lock", "examplebucket.localhost", [], .getObjectLockConfiguration),
        ("PUT /?logging", "examplebucket.localhost", [], .putBucketLogging),
        ("GET /?logging", "examplebucket.localhost", [], .getBucketLogging),
        ("POST /?delete", "examplebucket.localhost", [], .deleteObjects),
        // Listings
        ("GET /?delimiter=/&marker=photos/2006/&max-keys=40&prefix=photos/2006/", "examplebucket.localhost", [],
         .listObjects(ListObjectsQuery(listing: ListingQuery(prefix: "photos/2006/", delimiter: "/", maxKeys: 40, urlEncoded: false),
                                       marker: "photos/2006/", position: .afterKey("photos/2006/")))),
        // A marker that is a common prefix of the listing resumes after everything under it.
        ("GET /?delimiter=/&marker=photos/2006/&prefix=photos/", "examplebucket.localhost", [],
         .listObjects(ListObjectsQuery(listing: ListingQuery(prefix: "photos/", delimiter: "/", maxKeys: 1000, urlEncoded: false),
                                       marker: "photos/2006/", position: .afterPrefix("photos/2006/")))),
        ("GET /examplebucket?marker=a.txt", "localhost", [],
         .listObjects(ListObjectsQuery(listing: listing, marker: "a.txt", position: .afterKey("a.txt")))),
        ("GET /?list-type=2&max-keys=2&start-after=ExampleGuide.pdf", "examplebucket.localhost", [],
         .listObjectsV2(ListObjectsV2Query(listing: ListingQuery(prefix: "", delimiter: nil, maxKeys: 2, urlEncoded: false),
                                           continuationToken: nil, startAfter: "ExampleGuide.pdf", fetchOwner: false,
                                           position: .afterKey("ExampleGuide.pdf")))),
        ("GET /?list-type=2&fetch-owner=true&encoding-type=url&max-keys=5000", "examplebucket.localhost", [],
         .listObjectsV2(ListObjectsV2Query(listing: ListingQuery(prefix: "", delimiter: nil, maxKeys: 1000, urlEncoded: true),
                                           continuationToken: nil, startAfter: nil, fetchOwner: true, position: nil))),
        ("GET /?versions&key-marker=key2&version-id-marker=\(versionId)", "examplebucket.localhost", [],
         .listObjectVersions(ListVersionsQuery(listing: listing, keyMarker: "key2", versionIdMarker: versionId))),
        ("GET /?uploads&max-uploads=3", "examplebucket.localhost", [],
         .listMultipartUploads(ListUploadsQuery(listing: ListingQuery(prefix: "", delimiter: nil, maxKeys: 3, urlEncoded: false),
                                                keyMarker: nil, uploadIdMarker: nil))),
        // Objects
        ("PUT /my-image.jpg", "myBucket.localhost", [], .putObject),
        ("PUT /my-second-image.jpg", "myBucket.localhost", [("x-amz-copy-source", "/source-bucket/sourceobject")],
         .copyObject(source: copySource)),
        ("GET /my-image.jpg", "myBucket.localhost", [], .getObject(versionId: nil, partNumber: nil)),
        ("GET /myObject?versionId=\(versionId)", "myBucket.localhost", [], .getObject(versionId: versionId, partNumber: nil)),
        ("GET /example-object?partNumber=2", "examplebucket.localhost", [], .getObject(versionId: nil, partNumber: 2)),
        ("HEAD /my-image.jpg", "myBucket.localhost", [], .headObject(versionId: nil, partNumber: nil)),
        ("DELETE /my-second-image.jpg", "myBucket.localhost", [], .deleteObject(versionId: nil)),
        ("DELETE /my-third-image.jpg?versionId=\(versionId)", "myBucket.localhost", [], .deleteObject(versionId: versionId)),
        ("PUT /example-object?tagging", "examplebucket.localhost", [], .putObjectTagging(versionId: nil)),
        ("GET /example-object?tagging&versionId=null", "examplebucket.localhost", [], .getObjectTagging(versionId: "null")),
        ("DELETE /exampleobject?tagging", "examplebucket.localhost", [], .deleteObjectTagging(versionId: nil)),
        ("PUT /example-object?retention", "examplebucket.localhost", [], .putObjectRetention(versionId: nil)),
        ("GET /example-object?retention", "examplebucket.localhost", [], .getObjectRetention(versionId: nil)),
        ("PUT /example-object?legal-hold", "examplebucket.localhost", [], .putObjectLegalHold(versionId: nil)),
        ("GET /example-object?legal-hold", "examplebucket.localhost", [], .getObjectLegalHold(versionId: nil)),
        ("POST /example-object?restore", "examplebucket.localhost", [], .restoreObject(versionId: nil)),
        ("GET /example-object?attributes", "examplebucket.localhost", [("x-amz-object-attributes", "ETag"), ("x-amz-max-parts", "2")],
         .getObjectAttributes(versionId: nil, parts: PartsPage(maxParts: 2, marker: 0))),
        // Multipart uploads
        ("POST /example-object?uploads", "examplebucket.localhost", [], .createMultipartUpload),
        ("PUT /my-movie.m2ts?partNumber=1&uploadId=\(uploadId)", "examplebucket.localhost", [],
         .uploadPart(uploadId: uploadId, partNumber: 1)),
        ("PUT /newobject?partNumber=2&uploadId=\(uploadId)", "examplebucket.localhost",
         [("x-amz-copy-source", "/source-bucket/sourceobject"), ("x-amz-copy-source-range", "bytes=500-6291456")],
         .uploadPartCopy(uploadId: uploadId, partNumber: 2, source: copySource, range: .from(first: 500, last: 6_291_456))),
        ("POST /example-object?uploadId=\(uploadId)", "examplebucket.localhost", [], .completeMultipartUpload(uploadId: uploadId)),
        ("DELETE /example-object?uploadId=\(uploadId)", "examplebucket.localhost", [], .abortMultipartUpload(uploadId: uploadId)),
        ("GET /example-object?uploadId=\(uploadId)&max-parts=2&part-number-marker=1", "examplebucket.localhost", [],
         .listParts(uploadId: uploadId, parts: PartsPage(maxParts: 2, marker: 1))),
        // Access control
        ("PUT /?policy", "examplebucket.localhost", [], .putBucketPolicy),
        ("GET /?policy", "examplebucket.localhost", [], .getBucketPolicy),
        ("DELETE /?policy", "examplebucket.localhost", [], .deleteBucketPolicy),
        ("GET /?policyStatus", "examplebucket.localhost", [], .getBucketPolicyStatus),
        ("PUT /?publicAccessBlock", "examplebucket.localhost", [], .putPublicAccessBlock),
        ("GET /?publicAccessBlock", "examplebucket.localhost", [], .getPublicAccessBlock),
        ("DELETE /?publicAccessBlock", "examplebucket.localhost", [], .deletePublicAccessBlock),
        ("PUT /?ownershipControls", "examplebucket.localhost", [], .putBucketOwnershipControls),
        ("GET /?ownershipControls", "examplebucket.localhost", [], .getBucketOwnershipControls),
        ("DELETE /?ownershipControls", "examplebucket.localhost", [], .deleteBucketOwnershipControls),
        ("PUT /?acl", "examplebucket.localhost", [("x-amz-acl", "public-read")], .putBucketAcl),
        ("GET /?acl", "examplebucket.localhost", [], .getBucketAcl),
        ("PUT /?cors", "examplebucket.localhost", [], .putBucketCors),
        ("GET /?cors", "examplebucket.localhost", [], .getBucketCors),
        ("DELETE /?cors", "examplebucket.localhost", [], .deleteBucketCors),
        ("PUT /my-image.jpg?acl", "examplebucket.localhost", [], .putObjectAcl(versionId: nil)),
        ("GET /my-image.jpg?acl&versionId=\(versionId)", "examplebucket.localhost", [], .getObjectAcl(versionId: versionId)),
        ("POST /", "examplebucket.localhost", [("Content-Type", "multipart/form-data; boundary=9431149156168")], .postObject),
    ]

    @Test(arguments: examples.indices)
    func exampleRequestLinesResolve(_ index: Int) throws {
        let (line, host, headers, expected) = Self.examples[index]
        let operation = try Self.route(line, host: host, headers: headers)
        #expect(operation == expected, "\(line) (Host: \(host))")
    }

    /// Every operation is named as AWS names it.
    @Test func namesAreAWSOperationNames() throws {
        #expect(try Self.route("GET /b?versions").name == "ListObjectVersions")
        #expect(try Self.route("PUT /b/k?partNumber=1&uploadId=x", headers: [("x-amz-copy-source", "/b/s")]).name == "UploadPartCopy")
        #expect(Set(Self.examples.map(\.3.name)).count == 63)
    }

    static let malformed: [(String, [(String, String)], String)] = [
        ("POST /bucket/key", [], "MethodNotAllowed"),
        ("PATCH /bucket/key", [], "MethodNotAllowed"),
        ("DELETE /", [], "MethodNotAllowed"),
        ("GET /bucket?website", [], "NotImplemented"),
        ("PUT /bucket/key?select", [], "NotImplemented"),
        ("GET /bucket?list-type=3", [], "InvalidArgument"),
        ("GET /bucket?max-keys=-1", [], "InvalidArgument"),
        ("GET /bucket?max-keys=ten", [], "InvalidArgument"),
        ("GET /bucket?encoding-type=base64", [], "InvalidArgument"),
        ("GET /bucket?list-type=2&continuation-token=%25%25", [], "InvalidArgument"),
        ("GET /bucket?versions&version-id-marker=null", [], "InvalidArgument"),
        ("GET /bucket?uploads&max-uploads=-5", [], "InvalidArgument"),
        ("GET /?max-buckets=0", [], "InvalidArgument"),
        ("PUT /bucket/key?uploadId=x", [], "InvalidArgument"),
        ("PUT /bucket/key?uploadId=x&partNumber=0", [], "InvalidArgument"),
        ("PUT /bucket/key?uploadId=x&partNumber=10001", [], "InvalidArgument"),
        ("GET /bucket/key?partNumber=-1", [], "InvalidArgument"),
        ("GET /bucket/key?versionId=not-a-version", [], "InvalidArgument"),
        ("GET /bucket/key?uploadId=x&max-parts=-1", [], "InvalidArgument"),
        ("GET /bucket/key?uploadId=x&part-number-marker=first", [], "InvalidArgument"),
        ("GET /bucket/key?attributes", [("x-amz-max-parts", "-1")], "InvalidArgument"),
        ("GET /bucket/key?attributes", [("x-amz-part-number-marker", "9223372036854775808")], "InvalidArgument"),
        ("PUT /bucket/key", [("x-amz-copy-source", "just-a-bucket")], "InvalidArgument"),
        ("PUT /bucket/key?partNumber=1&uploadId=x", [("x-amz-copy-source", "/b/k"), ("x-amz-copy-source-range", "bytes=5-")], "InvalidArgument"),
        ("PUT /bucket/key?partNumber=1&uploadId=x", [("x-amz-copy-source", "/b/k"), ("x-amz-copy-source-range", "bytes=9-3")], "InvalidArgument"),
        ("PUT /bucket/key", [("Transfer-Encoding", "gzip, chunked")], "NotImplemented"),
        ("POST /bucket?delete", [("Transfer-Encoding", "deflate")], "NotImplemented"),
    ]

    @Test(arguments: malformed.indices)
    func malformedCombinationsGetAWSErrors(_ index: Int) {
        let (line, headers, code) = Self.malformed[index]
        do {
            let operation = try Self.route(line, headers: headers)
            Issue.record("\(line) routed to \(operation.name)")
        } catch let error as S3Error {
            #expect(error.code.rawValue == code, "\(line): \(error.code.rawValue) \(error.message)")
        } catch {
            Issue.record("\(line): \(error)")
        }
    }
}
