import AccessPolicy
import FrontDoors
import LockstepXML
import NIOCore
import Store

/// Bucket policies, Block Public Access, object ownership and ACLs: the documents that `AccessDecision` reads.
extension S3Service {
    // MARK: Bucket policy

    func putBucketPolicy(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        // The 20 KB limit counts the document without its whitespace, which BucketPolicy measures.
        let body = try await readXMLBody(c, limit: 1 << 20)
        let policy: BucketPolicy
        do {
            policy = try BucketPolicy(json: body, bucket: c.bucket)
        } catch {
            throw S3Error(.malformedPolicy, error.message)
        }
        if bucket.configuration.publicAccessBlock?.blockPublicPolicy == true, policy.isPublic {
            throw blockedByPublicAccessBlock(c, action: "s3:PutBucketPolicy", setting: "BlockPublicPolicy", what: "public policies")
        }
        try await store.updateBucketConfiguration(name: c.bucket) { $0.policy = policy.text }
        return APIResponse(status: .noContent)
    }

    func getBucketPolicy(_ c: S3Context) async throws -> APIResponse {
        guard let text = try await requireBucket(c).configuration.policy else { throw noSuchBucketPolicy(c) }
        var response = APIResponse(body: .bytes(ByteBuffer(string: text)))
        response.set("Content-Type", "application/json")
        return response
    }

    func deleteBucketPolicy(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.policy = nil }
        return APIResponse(status: .noContent)
    }

    func getBucketPolicyStatus(_ c: S3Context) async throws -> APIResponse {
        guard let text = try await requireBucket(c).configuration.policy else { throw noSuchBucketPolicy(c) }
        let isPublic = policies.policy(bucket: c.bucket, text: text)?.policy.isPublic ?? false
        var x = XMLWriter()
        x.group("PolicyStatus", attributes: [("xmlns", XMLWriter.s3Namespace)]) { $0.element("IsPublic", isPublic) }
        return xmlResponse(x)
    }

    private func noSuchBucketPolicy(_ c: S3Context) -> S3Error { S3Error(.noSuchBucketPolicy, details: [("BucketName", c.bucket)]) }

    // MARK: Block Public Access

    func putPublicAccessBlock(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "PublicAccessBlockConfiguration" else { throw S3Error.malformedXML() }
        func flag(_ name: String) throws(S3Error) -> Bool {
            switch root.value(name) {
            case nil: return false
            case "true"?, "TRUE"?, "True"?: return true
            case "false"?, "FALSE"?, "False"?: return false
            default: throw S3Error.malformedXML()
            }
        }
        let block = PublicAccessBlock(blockPublicAcls: try flag("BlockPublicAcls"), ignorePublicAcls: try flag("IgnorePublicAcls"),
                                      blockPublicPolicy: try flag("BlockPublicPolicy"), restrictPublicBuckets: try flag("RestrictPublicBuckets"))
        try await store.updateBucketConfiguration(name: c.bucket) { $0.publicAccessBlock = block }
        return APIResponse()
    }

    func getPublicAccessBlock(_ c: S3Context) async throws -> APIResponse {
        guard let block = try await requireBucket(c).configuration.publicAccessBlock else {
            throw S3Error(.noSuchPublicAccessBlockConfiguration, details: [("BucketName", c.bucket)])
        }
        var x = XMLWriter()
        x.group("PublicAccessBlockConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("BlockPublicAcls", block.blockPublicAcls)
            x.element("IgnorePublicAcls", block.ignorePublicAcls)
            x.element("BlockPublicPolicy", block.blockPublicPolicy)
            x.element("RestrictPublicBuckets", block.restrictPublicBuckets)
        }
        return xmlResponse(x)
    }

    func deletePublicAccessBlock(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.publicAccessBlock = nil }
        return APIResponse(status: .noContent)
    }

    // MARK: Object ownership

    func putBucketOwnershipControls(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        let rules = root.all("Rule")
        guard root.name == "OwnershipControls", rules.count == 1, let text = rules[0].value("ObjectOwnership") else { throw S3Error.malformedXML() }
        guard let ownership = ObjectOwnership(rawValue: text) else { throw S3Error.malformedXML() }
        if ownership == .bucketOwnerEnforced, let acl = bucket.configuration.acl,
           acl != .ownerOnly(account(bucket.owner).canonicalUserId), !acl.grants.isEmpty {
            throw S3Error(.invalidBucketAclWithObjectOwnership)
        }
        try await store.updateBucketConfiguration(name: c.bucket) { $0.ownership = ownership }
        return APIResponse()
    }

    func getBucketOwnershipControls(_ c: S3Context) async throws -> APIResponse {
        guard let ownership = try await requireBucket(c).configuration.ownership else {
            throw S3Error(.ownershipControlsNotFoundError, details: [("BucketName", c.bucket)])
        }
        var x = XMLWriter()
        x.group("OwnershipControls", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.group("Rule") { $0.element("ObjectOwnership", ownership.rawValue) }
        }
        return xmlResponse(x)
    }

    func deleteBucketOwnershipControls(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.ownership = nil }
        return APIResponse(status: .noContent)
    }

    // MARK: ACLs

    func putBucketAcl(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        let owner = account(bucket.owner)
        let acl = try await requestedACL(c, bucket: bucket.configuration, owner: owner, bucketOwner: owner)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.acl = acl }
        return APIResponse()
    }

    func getBucketAcl(_ c: S3Context) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        let owner = account(bucket.owner)
        var x = XMLWriter()
        (bucket.configuration.acl ?? .ownerOnly(owner.canonicalUserId)).write(&x, owner: owner, accounts: authenticator.users.account(canonicalUserId:))
        return xmlResponse(x)
    }

    func putObjectAcl(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let bucket = try await requireBucket(c)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: false)
        let bucketOwner = account(bucket.owner)
        let owner = version.metadata.owner.map(account) ?? bucketOwner
        let acl = try await requestedACL(c, bucket: bucket.configuration, owner: owner, bucketOwner: bucketOwner)
        let updated = try await store.setACL(bucket: c.bucket, key: c.key, versionId: versionId, acl: acl)
        var response = APIResponse()
        response.set("x-amz-version-id", updated.reportedVersionId)
        return response
    }

    func getObjectAcl(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let bucketOwner = try bucketOwner(c.bucket)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: false)
        let owner = version.metadata.owner.map(account) ?? bucketOwner
        var x = XMLWriter()
        (version.metadata.acl ?? .ownerOnly(owner.canonicalUserId)).write(&x, owner: owner, accounts: authenticator.users.account(canonicalUserId:))
        var response = xmlResponse(x)
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    /// The ACL a PutBucketAcl or PutObjectAcl sets, from its headers or its document, under the bucket's ownership
    /// setting and public access block.
    private func requestedACL(_ c: S3Context, bucket: BucketConfiguration, owner: Account, bucketOwner: Account) async throws -> AccessControlList {
        let body = try await readXMLBody(c)
        let fromHeaders = try ACLRequest.fromHeaders(c.request)
        let request: ACLRequest
        switch (fromHeaders, body.isEmpty) {
        case (let headers?, true): request = headers
        case (nil, false): request = try ACLRequest.fromDocument(try parseXML(body))
        case (_?, false): throw S3Error(.unexpectedContent, "This request does not support content")
        case (nil, true): throw S3Error(.missingSecurityHeader, "Your request was missing a required header", details: [("MissingHeaderName", "x-amz-acl")])
        }
        let acl = request.resolve(owner: owner, bucketOwner: bucketOwner)
        if bucket.ownership == .bucketOwnerEnforced, acl != .ownerOnly(owner.canonicalUserId), !request.isAllowedWithACLsDisabled {
            throw S3Error(.accessControlListNotSupported)
        }
        if bucket.publicAccessBlock?.blockPublicAcls == true, acl.isPublic { throw S3Error.accessDenied() }
        return acl
    }

    // MARK: New buckets and objects

    /// A new bucket's access settings: today's defaults (ACLs disabled, every public access block on) or the legacy
    /// ones, `x-amz-object-ownership`, and any ACL the request sets.
    func newBucketAccessControl(_ c: S3Context, owner: Account) throws -> BucketConfiguration {
        var configuration = BucketConfiguration()
        if !self.configuration.legacyBucketDefaults {
            configuration.ownership = .bucketOwnerEnforced
            configuration.publicAccessBlock = .all
        }
        if let text = c.header("x-amz-object-ownership") {
            guard let ownership = ObjectOwnership(rawValue: text) else {
                throw S3Error.invalidArgument("Invalid x-amz-object-ownership header: \(text)", name: "x-amz-object-ownership", value: text)
            }
            configuration.ownership = ownership
        }
        if let request = try ACLRequest.fromHeaders(c.request) {
            let acl = request.resolve(owner: owner, bucketOwner: owner)
            if configuration.ownership == .bucketOwnerEnforced, !request.isAllowedWithACLsDisabled, acl != .ownerOnly(owner.canonicalUserId) {
                throw S3Error(.invalidBucketAclWithObjectOwnership)
            }
            if configuration.publicAccessBlock?.blockPublicAcls == true, acl.isPublic { throw S3Error.accessDenied() }
            configuration.acl = acl
        }
        return configuration
    }

    /// Who owns an object a request writes, and its ACL (`x-amz-acl`, `x-amz-grant-*`), under the bucket's object
    /// ownership: with ACLs disabled the bucket owner owns it and only ACLs that say so are accepted.
    func newObjectAccessControl(_ c: S3Context) throws -> (owner: String?, acl: AccessControlList?) {
        guard let bucket = try store.configuration(bucket: c.bucket) else { throw S3Error.noSuchBucket(c.bucket) }
        let request = try ACLRequest.fromHeaders(c.request)
        let ownership = bucket.ownership ?? .objectWriter
        if ownership == .bucketOwnerEnforced {
            if let request, !request.isAllowedWithACLsDisabled { throw S3Error(.accessControlListNotSupported) }
            return (nil, nil)
        }
        let bucketOwner = account(bucket.owner)
        var owner = c.requester?.account ?? bucketOwner
        if ownership == .bucketOwnerPreferred, request == .canned("bucket-owner-full-control") { owner = bucketOwner }
        let acl = request?.resolve(owner: owner, bucketOwner: bucketOwner)
        if let acl, acl.isPublic, bucket.publicAccessBlock?.blockPublicAcls == true { throw S3Error.accessDenied() }
        return (owner == bucketOwner ? nil : owner.id, acl)
    }

    /// AWS's explanation to the bucket owner's users when a Block Public Access setting refuses a change.
    func blockedByPublicAccessBlock(_ c: S3Context, action: String, setting: String, what: String) -> S3Error {
        guard let identity = c.requester else { return S3Error.accessDenied() }
        return S3Error.accessDenied("User: \(identity.arn) is not authorized to perform: \(action) on resource: \"arn:aws:s3:::\(c.bucket)\" "
                                    + "because \(what) are blocked by the \(setting) block public access setting.")
    }
}
