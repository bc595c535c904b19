import FrontDoors
import LockstepXML
import Store

/// Put/Get/DeleteBucketEncryption: the default applied to writes that carry no encryption headers. A bucket without a
/// configuration reports (and uses) SSE-S3, as AWS has since January 2023.
extension S3Service {
    func putBucketEncryption(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        let rules = root.all("Rule")
        guard root.name == "ServerSideEncryptionConfiguration", rules.count == 1,
              let apply = rules[0].child("ApplyServerSideEncryptionByDefault"),
              let algorithmText = apply.value("SSEAlgorithm") else { throw S3Error.malformedXML() }
        guard let algorithm = ObjectEncryption.Mode(rawValue: algorithmText), algorithm != .sseC else { throw S3Error.malformedXML() }
        let keyId = apply.value("KMSMasterKeyID").flatMap { $0.isEmpty ? nil : $0 }
        if keyId != nil && !algorithm.usesKMS {
            throw S3Error.invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                                          name: "ApplyServerSideEncryptionByDefault")
        }
        var bucketKey = false
        if let text = rules[0].value("BucketKeyEnabled") {
            guard text == "true" || text == "false" else { throw S3Error.malformedXML() }
            bucketKey = text == "true"
        }
        let configuration = BucketEncryption(algorithm: algorithm, kmsMasterKeyId: keyId, bucketKeyEnabled: bucketKey)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.encryption = configuration }
        return APIResponse()
    }

    func getBucketEncryption(_ c: S3Context) async throws -> APIResponse {
        let configuration = try await requireBucket(c).configuration.encryption ?? .default
        var x = XMLWriter()
        x.group("ServerSideEncryptionConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.group("Rule") { x in
                x.group("ApplyServerSideEncryptionByDefault") { x in
                    x.element("SSEAlgorithm", configuration.algorithm.rawValue)
                    x.optional("KMSMasterKeyID", configuration.kmsMasterKeyId)
                }
                x.element("BucketKeyEnabled", configuration.bucketKeyEnabled)
            }
        }
        return xmlResponse(x)
    }

    func deleteBucketEncryption(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.encryption = nil }
        return APIResponse(status: .noContent)
    }
}
