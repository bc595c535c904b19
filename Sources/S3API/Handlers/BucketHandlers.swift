import FrontDoors
import LockstepCrypto
import LockstepXML
import NIOCore
import Store

extension S3Service {
    /// Fetches the bucket or fails with NoSuchBucket.
    func requireBucket(_ c: S3Context) async throws -> Bucket {
        guard let bucket = try await store.bucket(named: c.bucket) else { throw S3Error.noSuchBucket(c.bucket) }
        return bucket
    }

    func listBuckets(_ c: S3Context, _ q: ListBucketsQuery) async throws -> APIResponse {
        let (prefix, startAfter, maxBuckets) = (q.prefix, q.startAfter, q.maxBuckets)
        let account = c.requester?.account ?? .default
        let buckets = try await store.listBuckets(owner: account.id, prefix: prefix, startAfter: startAfter, limit: maxBuckets + 1)
        let page = buckets.prefix(maxBuckets)
        var x = XMLWriter()
        x.group("ListAllMyBucketsResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            account.write(&x)
            x.group("Buckets") { x in
                for bucket in page {
                    x.group("Bucket") { x in
                        x.element("Name", bucket.name)
                        x.element("CreationDate", S3Time.iso8601(bucket.createdMillis))
                        x.element("BucketRegion", bucket.region)
                    }
                }
            }
            if buckets.count > maxBuckets, let last = page.last { x.element("ContinuationToken", ContinuationToken.encode(last.name)) }
            x.optional("Prefix", prefix)
        }
        return xmlResponse(x)
    }

    func createBucket(_ c: S3Context) async throws -> APIResponse {
        guard Validation.isValidBucketName(c.bucket) else {
            throw S3Error(.invalidBucketName, details: [("BucketName", c.bucket)])
        }
        var region = configuration.region
        let body = try await readXMLBody(c, limit: 64 * 1024)
        if !body.isEmpty {
            let root = try parseXML(body)
            guard root.name == "CreateBucketConfiguration" else { throw S3Error.malformedXML() }
            if let constraint = root.value("LocationConstraint"), !constraint.isEmpty {
                // us-east-1 is never written as a constraint; Lockstep serves every other region name it is given.
                guard constraint != "us-east-1", constraint.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                    throw S3Error(.invalidLocationConstraint,
                                  details: [("LocationConstraint", constraint)])
                }
                region = constraint
            }
        }
        let objectLock = c.header("x-amz-bucket-object-lock-enabled")?.lowercased() == "true"
        let owner = c.requester?.account ?? .default
        let initial = try newBucketAccessControl(c, owner: owner)
        switch try await store.createBucket(name: c.bucket, region: region, owner: owner.id, objectLock: objectLock, configuration: initial) {
        case .created:
            break
        case .alreadyOwned(let existingRegion):
            // S3's legacy behaviour in us-east-1: re-creating your own bucket succeeds and changes nothing.
            guard existingRegion == "us-east-1" else { throw S3Error(.bucketAlreadyOwnedByYou, details: [("BucketName", c.bucket)]) }
        }
        var response = APIResponse()
        response.set("Location", "/\(c.bucket)")
        return response
    }

    func headBucket(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        var response = APIResponse()
        response.set("x-amz-bucket-region", bucket.region)
        response.set("x-amz-access-point-alias", "false")
        return response
    }

    func deleteBucket(_ c: S3Context) async throws -> APIResponse {
        try await store.deleteBucket(name: c.bucket)
        return APIResponse(status: .noContent)
    }

    func getBucketLocation(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        // Written by hand: the region is the element's text, empty for us-east-1.
        var doc = XMLWriter()
        doc.start("LocationConstraint", attributes: [("xmlns", XMLWriter.s3Namespace)])
        doc.text(bucket.region == "us-east-1" ? "" : bucket.region)
        doc.end()
        return xmlResponse(doc)
    }

    func putBucketTagging(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        let tags = try Validation.parseTagging(try await readXMLBody(c), maxTags: 50)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.tags = tags }
        return APIResponse(status: .noContent)
    }

    func getBucketTagging(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        guard let tags = bucket.configuration.tags else {
            throw S3Error(.noSuchTagSet, details: [("BucketName", c.bucket)])
        }
        return xmlResponse(taggingDocument(tags))
    }

    func deleteBucketTagging(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.tags = nil }
        return APIResponse(status: .noContent)
    }

    func putBucketVersioning(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "VersioningConfiguration" else { throw S3Error.malformedXML() }
        if let mfa = root.value("MfaDelete") {
            guard mfa == "Disabled" || mfa == "Enabled" else { throw S3Error.malformedXML() }
            if mfa == "Enabled" {
                throw S3Error.notImplemented("Lockstep does not support MFA delete; MfaDelete may only be Disabled.")
            }
        }
        guard let status = root.value("Status") else { return APIResponse() }
        guard let state = VersioningState(rawValue: status), state != .unversioned else { throw S3Error.malformedXML() }
        try await store.setVersioning(bucket: c.bucket, state)
        return APIResponse()
    }

    func getBucketVersioning(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        var x = XMLWriter()
        x.group("VersioningConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            if bucket.versioning != .unversioned {
                x.element("Status", bucket.versioning.rawValue)
                x.element("MfaDelete", "Disabled")
            }
        }
        return xmlResponse(x)
    }

    /// Reads a small XML request body through the payload checks (signature, Content-MD5, checksums).
    func readXMLBody(_ c: S3Context, limit: Int = 1 << 20) async throws -> [UInt8] {
        let payload = try PayloadReader(request: c.request, auth: c.auth, computeMD5: false, defaultChecksum: nil)
        return try await payload.collect(limit: limit)
    }

    func taggingDocument(_ tags: [Tag]) -> XMLWriter {
        var x = XMLWriter()
        x.group("Tagging", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.group("TagSet") { x in
                for tag in tags {
                    x.group("Tag") { x in
                        x.element("Key", tag.key)
                        x.element("Value", tag.value)
                    }
                }
            }
        }
        return x
    }
}

/// Opaque pagination tokens: base64 of the resume position.
enum ContinuationToken {
    static func encode(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
    static func decode(_ token: String) -> String? {
        guard let bytes = Base64.decode(token) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
