import FrontDoors
import Store

/// Put/GetBucketLogging. Records are made by `AccessLog` and delivered by `AccessLogDelivery`.
extension S3Service {
    func putBucketLogging(_ c: S3Context) async throws -> APIResponse {
        let source = try await requireBucket(c)
        let parsed = try BucketLoggingXML.parse(try parseXML(try await readXMLBody(c)))
        if let logging = parsed.logging {
            guard let target = try await store.bucket(named: logging.targetBucket) else {
                throw S3Error(.invalidTargetBucketForLogging, details: [("TargetBucket", logging.targetBucket)])
            }
            guard target.region == source.region else {
                throw S3Error(.invalidTargetBucketForLogging, "Cross S3 location logging not allowed. ",
                              details: [("TargetBucket", logging.targetBucket)])
            }
            // A target with ACLs disabled (AWS's default since 2023) cannot honour grants on its log objects.
            if parsed.hasGrants, target.configuration.ownership == .bucketOwnerEnforced {
                throw S3Error(.accessControlListNotSupported, "The target bucket for logging does not allow ACLs.")
            }
        }
        try await store.updateBucketConfiguration(name: c.bucket) { $0.logging = parsed.logging }
        return APIResponse()
    }

    func getBucketLogging(_ c: S3Context) async throws -> APIResponse {
        xmlResponse(BucketLoggingXML.render(try await requireBucket(c).configuration.logging))
    }
}
