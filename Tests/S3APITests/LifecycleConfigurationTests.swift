import Foundation
import LockstepCrypto
import LockstepTestSupport
import Store
import Testing

/// Put/Get/DeleteBucketLifecycleConfiguration: AWS's validation, code and message for each malformed configuration,
/// the document echoed as given, and the lifecycle headers on object responses.
@Suite("Lifecycle configuration")
struct LifecycleConfigurationTests {
    func putLifecycle(_ s3: S3TestServer, _ rules: String, bucket: String = "lcb", headers: [(String, String)] = [],
                      md5: Bool = true) async -> Reply {
        let body = Array("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(rules)</LifecycleConfiguration>".utf8)
        let integrity = md5 ? [("Content-MD5", Base64.encode(Digest.md5(body)))] : []
        return await s3.send(.put, "/" + bucket, query: "lifecycle", headers: integrity + headers, body: body)
    }

    static let expireLogs = "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>"

    @Test func aConfigurationRoundTripsInTheShapeItWasGiven() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lcb")
        expectWellFormedError(await s3.send(.get, "/lcb", query: "lifecycle"), code: "NoSuchLifecycleConfiguration", status: 404)
        let rules = """
            <Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>\
            <Rule><ID>empty</ID><Filter></Filter><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
            <Rule><ID>and</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>t</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>\
            <Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
            <Transition><Days>60</Days><StorageClass>GLACIER</StorageClass></Transition>\
            <NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>\
            <Rule><ID>date</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>
            """
        let put = await putLifecycle(s3, rules, headers: [("x-amz-transition-default-minimum-object-size", "varies_by_storage_class")])
        #expect(put.status == 200, "\(put.text)")
        #expect(put.header("x-amz-transition-default-minimum-object-size") == "varies_by_storage_class")
        let get = await s3.send(.get, "/lcb", query: "lifecycle")
        #expect(get.status == 200)
        #expect(get.header("x-amz-transition-default-minimum-object-size") == "varies_by_storage_class")
        let root = try #require(get.xml)
        let parsed = root.all("Rule")
        #expect(parsed.map { $0.value("ID") } == ["logs", "empty", "and", "date"])
        #expect(parsed[0].child("Filter")?.value("Prefix") == "logs/")
        #expect(parsed[1].child("Filter")?.children.isEmpty == true)
        #expect(parsed[1].value("Status") == "Disabled")
        #expect(parsed[2].child("Filter")?.child("And")?.child("Tag")?.value("Key") == "t")
        #expect(parsed[2].all("Transition").map { $0.value("StorageClass") } == ["STANDARD_IA", "GLACIER"])
        #expect(parsed[2].child("NoncurrentVersionExpiration")?.value("NewerNoncurrentVersions") == "3")
        #expect(parsed[3].child("Expiration")?.value("Date") == "2030-01-01T00:00:00.000Z")

        // A rejected configuration leaves the previous one in place.
        expectWellFormedError(await putLifecycle(s3, "<Rule><ID>x</ID><Filter/><Status>Enabled</Status></Rule>"), code: "InvalidRequest", status: 400)
        #expect(await s3.send(.get, "/lcb", query: "lifecycle").xml?.all("Rule").count == 4)

        #expect(await s3.send(.delete, "/lcb", query: "lifecycle").status == 204)
        expectWellFormedError(await s3.send(.get, "/lcb", query: "lifecycle"), code: "NoSuchLifecycleConfiguration", status: 404)
        #expect(await s3.send(.delete, "/lcb", query: "lifecycle").status == 204)
    }

    @Test func legacyPrefixRulesStayLegacyAndMissingIdsAreGenerated() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lcb")
        let put = await putLifecycle(s3, "<Rule><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")
        #expect(put.status == 200, "\(put.text)")
        let rule = try #require(await s3.send(.get, "/lcb", query: "lifecycle").xml?.child("Rule"))
        #expect(rule.value("Prefix") == "old/")
        #expect(rule.child("Filter") == nil)
        #expect(rule.value("ID")?.count == 48)
    }

    /// Each malformed configuration, with the code and message AWS answers.
    @Test(arguments: [
        ("<Rule><ID>\(String(repeating: "i", count: 256))</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidArgument", "ID length should not exceed allowed limit of 255"),
        (expireLogs + expireLogs, "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>",
         "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration></Rule>",
         "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration></Rule>",
         "InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration></Rule>",
         "InvalidArgument", "'Date' must be at midnight GMT"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status></Rule>", "InvalidRequest", "At least one action needs to be specified in a rule"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>29</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>",
         "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>0</Days><StorageClass>ONEZONE_IA</StorageClass></Transition></Rule>",
         "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition></Rule>",
         "InvalidArgument", "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>45</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
         "InvalidArgument", "must be 30 days more than 'Days' in the Transition action for StorageClass 'STANDARD_IA'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>30</Days></Expiration></Rule>",
         "InvalidArgument", "'Days' in the Expiration action for filter '(prefix=)' must be greater than 'Days' in the Transition action"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
         "InvalidRequest", "'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '(prefix=)'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>DEEP_ARCHIVE</StorageClass></Transition></Rule>",
         "InvalidRequest", "Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for filter '(prefix=)'"),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
         "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>",
         "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter><And><Prefix>a</Prefix></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidRequest", "Duplicate Tag Keys are not allowed."),
        ("<Rule><ID>a</ID><Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter/><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter/><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", ""),
        ("<Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", ""),
        ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            + "<Rule><ID>b</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidRequest", "Filter element can only be used in Lifecycle V2."),
        ("<Rule><ID>b</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            + "<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidRequest", "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter."),
        ("<Rule><ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
         "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>",
         "InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer"),
        ("<Rule><ID>a</ID><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidRequest", "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."),
        ("<Rule><ID>a</ID><Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
         "InvalidRequest", "'ObjectSizeLessThan' should be between 1 and 1099511627776000."),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD</StorageClass></Transition></Rule>",
         "MalformedXML", ""),
        ("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>one</Days></Expiration></Rule>", "MalformedXML", ""),
        ("", "MalformedXML", ""),
    ])
    func malformedConfigurationsGetAWSsError(rules: String, code: String, message: String) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lcb")
        let reply = await putLifecycle(s3, rules)
        expectWellFormedError(reply, code: code, status: 400)
        if !message.isEmpty { #expect(reply.xml?.value("Message")?.contains(message) == true, "\(reply.text)") }
    }

    @Test func moreThanAThousandRulesAndMissingIntegrityAreRefused() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lcb")
        let many = (0...1000).map { "<Rule><ID>r\($0)</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>" }.joined()
        let tooMany = await putLifecycle(s3, many)
        expectWellFormedError(tooMany, code: "InvalidRequest", status: 400)
        #expect(tooMany.xml?.value("Message") == "The number of lifecycle rules must not exceed the allowed limit of 1000 rules.")
        let noMD5 = await putLifecycle(s3, Self.expireLogs, md5: false)
        expectWellFormedError(noMD5, code: "InvalidRequest", status: 400)
        #expect(noMD5.xml?.value("Message") == "Missing required header for this request: Content-MD5")
        let badHeader = await putLifecycle(s3, Self.expireLogs, headers: [("x-amz-transition-default-minimum-object-size", "tiny")])
        expectWellFormedError(badHeader, code: "InvalidRequest", status: 400)
        expectWellFormedError(await putLifecycle(s3, Self.expireLogs, bucket: "missing"), code: "NoSuchBucket", status: 404)
    }

    /// `x-amz-expiration` on writes and reads of current versions a rule covers (midnight after created + Days), never
    /// when a version is named; abort headers on CreateMultipartUpload and ListParts.
    @Test func objectResponsesCarryTheLifecycleHeaders() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lcb")
        let rules = Self.expireLogs + "<Rule><ID>abort tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        #expect(await putLifecycle(s3, rules).status == 200)
        // The clock starts at 2025-03-01T12:00:00.250Z: three days on, then the next midnight.
        let expected = "expiry-date=\"Wed, 05 Mar 2025 00:00:00 GMT\", rule-id=\"logs\""
        let put = await s3.put("lcb", "logs/a", [1])
        #expect(put.header("x-amz-expiration") == expected)
        #expect(await s3.send(.head, "/lcb/logs/a").header("x-amz-expiration") == expected)
        #expect(await s3.get("lcb", "logs/a").header("x-amz-expiration") == expected)
        let versionId = put.header("x-amz-version-id") ?? "null"
        #expect(await s3.get("lcb", "logs/a", query: "versionId=\(versionId)").header("x-amz-expiration") == nil)
        #expect(await s3.put("lcb", "other/a", [1]).header("x-amz-expiration") == nil)
        let copy = await s3.send(.put, "/lcb/logs/copy", headers: [("x-amz-copy-source", "/lcb/other/a")])
        #expect(copy.header("x-amz-expiration") == "expiry-date=\"Wed, 05 Mar 2025 00:00:00 GMT\", rule-id=\"logs\"")

        let created = await s3.send(.post, "/lcb/tmp/upload", query: "uploads")
        #expect(created.header("x-amz-abort-date") == "Tue, 04 Mar 2025 00:00:00 GMT")
        #expect(created.header("x-amz-abort-rule-id") == "abort tmp")
        let uploadId = try #require(created.xml?.value("UploadId"))
        let parts = await s3.send(.get, "/lcb/tmp/upload", query: "uploadId=\(uploadId)")
        #expect(parts.header("x-amz-abort-date") == "Tue, 04 Mar 2025 00:00:00 GMT")
        #expect(await s3.send(.post, "/lcb/keep/upload", query: "uploads").header("x-amz-abort-date") == nil)
    }
}
