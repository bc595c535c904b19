import HTTPTypes
@testable import S3API
import Testing

/// The Operation field of access log records, named as AWS names each request (from AWS's own logs and the S3
/// documentation's examples).
@Suite("Access log operation names")
struct AccessLogOperationTests {
    static let cases: [(HTTPRequest.Method, Bool, String, Bool, String)] = [
        // method, has a key, query, x-amz-copy-source, name
        (.get, false, "", false, "REST.GET.BUCKET"),
        (.get, false, "list-type=2&prefix=a", false, "REST.GET.BUCKET"),
        (.get, false, "versions", false, "REST.GET.BUCKETVERSIONS"),
        (.get, false, "uploads", false, "REST.GET.UPLOADS"),
        (.get, false, "versioning", false, "REST.GET.VERSIONING"),
        (.put, false, "versioning", false, "REST.PUT.VERSIONING"),
        (.get, false, "location", false, "REST.GET.LOCATION"),
        (.get, false, "logging", false, "REST.GET.LOGGING_STATUS"),
        (.put, false, "logging", false, "REST.PUT.LOGGING_STATUS"),
        (.get, false, "policy", false, "REST.GET.BUCKETPOLICY"),
        (.get, false, "policyStatus", false, "REST.GET.POLICY_STATUS"),
        (.get, false, "object-lock", false, "REST.GET.OBJECT_LOCK_CONFIGURATION"),
        (.put, false, "lifecycle", false, "REST.PUT.LIFECYCLE"),
        (.delete, false, "tagging", false, "REST.DELETE.TAGGING"),
        (.post, false, "delete", false, "REST.POST.MULTI_OBJECT_DELETE"),
        (.put, false, "", false, "REST.PUT.BUCKET"),
        (.head, false, "", false, "REST.HEAD.BUCKET"),
        (.delete, false, "", false, "REST.DELETE.BUCKET"),
        (.get, true, "", false, "REST.GET.OBJECT"),
        (.get, true, "versionId=abc", false, "REST.GET.OBJECT"),
        (.head, true, "", false, "REST.HEAD.OBJECT"),
        (.put, true, "", false, "REST.PUT.OBJECT"),
        (.put, true, "", true, "REST.COPY.OBJECT"),
        (.delete, true, "", false, "REST.DELETE.OBJECT"),
        (.put, true, "tagging", false, "REST.PUT.OBJECT_TAGGING"),
        (.get, true, "attributes", false, "REST.GET.OBJECT_ATTRIBUTES"),
        (.put, true, "retention", false, "REST.PUT.RETENTION"),
        (.put, true, "legal-hold", false, "REST.PUT.LEGAL_HOLD"),
        (.post, true, "restore", false, "REST.POST.RESTORE"),
        (.get, true, "acl", false, "REST.GET.ACL"),
        (.post, true, "uploads", false, "REST.POST.UPLOADS"),
        (.put, true, "partNumber=1&uploadId=u", false, "REST.PUT.PART"),
        (.put, true, "partNumber=1&uploadId=u", true, "REST.COPY.PART"),
        (.get, true, "uploadId=u", false, "REST.GET.UPLOAD"),
        (.post, true, "uploadId=u", false, "REST.POST.UPLOAD"),
        (.delete, true, "uploadId=u", false, "REST.DELETE.UPLOAD"),
    ]

    @Test func requestsAreNamedAsAWSNamesThem() {
        for (method, hasKey, query, copy, expected) in Self.cases {
            let name = AccessLogOperation.name(method: method, hasKey: hasKey, query: QueryParameters(raw: query), copySource: copy)
            #expect(name == expected, "\(method) \(hasKey ? "/b/k" : "/b")?\(query)")
        }
        #expect(AccessLogOperation.copySourceRead("REST.COPY.OBJECT") == "REST.COPY.OBJECT_GET")
        #expect(AccessLogOperation.copySourceRead("REST.COPY.PART") == "REST.COPY.PART_GET")
    }
}
