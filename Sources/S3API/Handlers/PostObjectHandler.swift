import FrontDoors
import HTTPTypes
import LockstepCrypto
import LockstepXML
import NIOCore
import SigV4
import Store

/// POST Object: an HTML form (`multipart/form-data`) posted to the bucket's URL. The form carries what a PUT carries in
/// headers, and its own credentials: a base64 policy signed with SigV4 (`x-amz-algorithm`, `x-amz-credential`,
/// `x-amz-date`, `x-amz-signature`) or SigV2 (`AWSAccessKeyId`, `signature`). A form without a policy is anonymous.
extension S3Service {
    func postObject(_ c: S3Context) async throws -> APIResponse {
        do {
            return try await postForm(c)
        } catch let error as PostObjectError {
            throw S3Error(S3ErrorCode(rawValue: error.code) ?? .invalidArgument, error.message, details: error.details)
        }
    }

    /// Form fields that stand for request headers of a PUT.
    private static let formHeaders: Set<String> = ["cache-control", "content-type", "content-disposition", "content-encoding", "expires"]
    /// The form's own credentials, never headers of the object.
    private static let credentialFields: Set<String> = ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature",
                                                        "x-amz-security-token"]

    private func postForm(_ c: S3Context) async throws -> APIResponse {
        guard c.header("content-type")?.lowercased().hasPrefix("multipart/form-data") == true else { throw PostObjectError.notMultipartFormData }
        let boundary = try FormBoundary.parse(contentType: c.header("content-type"))
        let body = c.request.body
        let reader = PostFormReader(boundary: boundary) { try await body.next() }
        let form = try await reader.readFields()
        let key = try form.requiredKey()
        try Validation.checkKey(key)
        let requester = try formSigner(form) ?? c.requester
        // Decoded once: its conditions now, its size range while and after the file streams.
        let policy = try form.value("policy").map { text throws(PostObjectError) in try PostPolicy(base64: text) }
        try policy?.check(form, bucket: c.bucket, nowMillis: authenticator.nowMillis())
        // The form's fields as the headers a PUT would carry, so one set of rules reads both.
        var headers = HTTPFields()
        for field in form.fields {
            var name = field.name.lowercased()
            if name == "acl" { name = "x-amz-acl" }
            guard Self.formHeaders.contains(name) || (name.hasPrefix("x-amz-") && !Self.credentialFields.contains(name)),
                  let fieldName = HTTPField.Name(name) else { continue }
            headers.append(HTTPField(name: fieldName, value: form.expand(field.value)))
        }
        let request = APIRequest(method: .post, target: c.request.rawPath, headers: headers, remoteAddress: c.request.remoteAddress)
        let formContext = S3Context(request: request, operation: .postObject, bucket: c.bucket, key: key, query: c.query,
                                    auth: nil, requester: requester, requestId: c.requestId, trace: c.trace)
        try await authorize(formContext, c.operation.permission!, bucket: c.bucket, key: key, versionId: nil)
        var metadata = try ObjectHeaders.metadata(from: formContext)
        if let tagging = form.value("tagging") { metadata.tags = try Validation.parseTagging(Array(tagging.utf8), maxTags: 10) }
        let lock = try ObjectLockHeaders.parse(formContext, nowMillis: store.clock.nowMillis())
        try lock.check(bucket: try store.configuration(bucket: c.bucket), formContext, operation: "Put Object", needsBody: false)
        (metadata.retention, metadata.legalHold) = (lock.retention, lock.legalHold)
        (metadata.owner, metadata.acl) = try newObjectAccessControl(formContext)
        let encryption = try await newEncryption(try RequestedEncryption.parse(formContext), bucket: c.bucket, key: key)
        metadata.encryption = encryption.record
        let declared = try declaredChecksum(formContext)
        let limit = min(policy?.maxContentLength ?? S3Service.maximumUploadSize, S3Service.maximumUploadSize)
        let staged = try await store.stage(PostFileSource(reader, limit: limit), digests: DigestRequest(md5: true, checksum: declared?.0 ?? .crc64nvme),
                                           sealing: encryption.key, placement: .inlineWhenSmall)
        try policy?.checkLength(staged.digests.length)
        if let md5 = form.value("content-md5"), Base64.decode(md5) != staged.digests.md5 { throw S3Error(.badDigest) }
        if let (algorithm, value) = declared, let actual = staged.digests.checksum, Base64.encode(actual) != value {
            throw S3Error(.badDigest, "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        if let raw = staged.digests.checksum, let algorithm = staged.digests.checksumAlgorithm {
            metadata.checksum = StoredChecksum(algorithm: algorithm, value: Base64.encode(raw))
        }
        let version = try await store.putObject(bucket: c.bucket, key: key,
                                                NewObject(etag: staged.digests.md5?.hexString ?? "", metadata: metadata, body: staged))
        c.trace?.objectSize = version.size
        return postResponse(c, form: form, key: key, version: version)
    }

    /// Who signed the form's policy, checked against their secret; nil for a form without a policy (anonymous).
    private func formSigner(_ form: PostForm) throws -> Identity? {
        guard let policy = form.value("policy") else {
            if form.value("x-amz-signature") != nil || form.value("signature") != nil { throw PostObjectError.missingField("policy") }
            return nil
        }
        let accessKey: String, matches: Bool
        if let algorithm = form.value("x-amz-algorithm") {
            guard algorithm == "AWS4-HMAC-SHA256" else {
                throw S3Error.invalidArgument("Only AWS4-HMAC-SHA256 is supported", name: "x-amz-algorithm", value: algorithm)
            }
            guard let credential = form.value("x-amz-credential") else { throw PostObjectError.missingField("x-amz-credential") }
            guard let signature = form.value("x-amz-signature") else { throw PostObjectError.missingField("x-amz-signature") }
            guard form.value("x-amz-date") != nil else { throw PostObjectError.missingField("x-amz-date") }
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard scope.count == 5, scope[4] == "aws4_request" else {
                throw S3Error.invalidArgument("Unable to parse AWS credentials.", name: "x-amz-credential", value: credential)
            }
            guard scope[3] == "s3" else {
                throw S3Error(.authorizationHeaderMalformed, "The authorization header is malformed; Credential should be scoped to correct service: 's3'.")
            }
            accessKey = scope[0]
            guard let secret = authenticator.verifier.credentials.secretKey(forAccessKey: accessKey) else {
                return try unknownKey(accessKey)
            }
            let key = signingKey(secret: secret, date: scope[1], region: scope[2], service: scope[3])
            matches = constantTimeEquals(Array(HMAC.sha256(key: key, Array(policy.utf8)).hexString.utf8), Array(signature.lowercased().utf8))
        } else if let id = form.value("awsaccesskeyid") {
            guard let signature = form.value("signature") else { throw PostObjectError.missingField("signature") }
            accessKey = id
            guard let secret = authenticator.verifier.credentials.secretKey(forAccessKey: accessKey) else { return try unknownKey(accessKey) }
            matches = constantTimeEquals(Array(Base64.encode(HMAC.sha1(key: Array(secret.utf8), Array(policy.utf8))).utf8), Array(signature.utf8))
        } else {
            throw PostObjectError.missingField("x-amz-credential")
        }
        guard matches || authenticator.verifier.allowAnyCredentials else {
            throw S3Error(.signatureDoesNotMatch, details: [("StringToSign", policy)])
        }
        return authenticator.users.identity(forAccessKey: accessKey) ?? Identity(account: .default, userName: nil)
    }

    private func unknownKey(_ accessKey: String) throws -> Identity? {
        guard authenticator.verifier.allowAnyCredentials else {
            throw S3Error(.invalidAccessKeyId, details: [("AWSAccessKeyId", accessKey)])
        }
        return Identity(account: .default, userName: nil)
    }

    /// A checksum the form declares (`x-amz-checksum-<algorithm>`), to be checked against the file.
    private func declaredChecksum(_ c: S3Context) throws -> (ChecksumAlgorithm, String)? {
        for field in c.request.headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-amz-checksum-"), name != "x-amz-checksum-algorithm", name != "x-amz-checksum-type" else { continue }
            guard let algorithm = ChecksumAlgorithm(headerName: name) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            return (algorithm, field.value)
        }
        return nil
    }

    /// S3's answer to a stored form: a 303 to `success_action_redirect`, or `success_action_status` (204 by default;
    /// 201 with a `PostResponse` document).
    private func postResponse(_ c: S3Context, form: PostForm, key: String, version: ObjectVersion) -> APIResponse {
        let etag = "\"\(version.etag)\""
        let host = c.header("host") ?? "localhost"
        let virtualHost = !c.request.rawPath.hasPrefix("/\(c.bucket)")
        let location = SuccessAction.objectLocation(bucketURL: virtualHost ? "http://\(host)" : "http://\(host)/\(c.bucket)", key: key)
        let action = SuccessAction(form)
        var response: APIResponse
        if let redirect = action.redirectLocation(bucket: c.bucket, key: key, etag: etag) {
            response = APIResponse(status: .seeOther)
            response.set("Location", redirect)
        } else if action.statusCode == 201 {
            response = APIResponse(status: .created, body: .bytes(ByteBuffer(string: SuccessAction.postResponseXML(location: location, bucket: c.bucket,
                                                                                                                    key: key, etag: etag))))
            response.set("Content-Type", "application/xml")
        } else {
            response = APIResponse(status: action.statusCode == 200 ? .ok : .noContent)
        }
        response.set("ETag", etag)
        if action.statusCode != 303 { response.set("Location", location) }
        response.set("x-amz-version-id", version.writtenVersionId)
        return response
    }
}

/// The form's file part, streamed into the store; past the policy's `content-length-range` (or S3's 5 GiB) it stops.
final class PostFileSource: BodySource {
    let declaredLength: Int64? = nil
    private let reader: PostFormReader
    private let limit: Int64
    private var seen: Int64 = 0

    init(_ reader: PostFormReader, limit: Int64) {
        self.reader = reader
        self.limit = limit
    }

    func next() async throws -> ByteBuffer? {
        guard let chunk = try await reader.nextFileChunk() else { return nil }
        seen += Int64(chunk.readableBytes)
        if seen > limit { throw PostObjectError.entityTooLarge(proposed: seen, maximum: limit) }
        return chunk
    }
}
