import FrontDoors
import LockstepXML
import Store

/// Put/Get/DeleteBucketLifecycleConfiguration. A rejected configuration leaves the previous one in place; the rules
/// run in lifecycle passes (`Store/Lifecycle/`).
extension S3Service {
    static let transitionMinimumSizeHeader = "x-amz-transition-default-minimum-object-size"

    func putBucketLifecycleConfiguration(_ c: S3Context) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: "Missing required header for this request: Content-MD5")
        _ = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        let configuration = try LifecycleXML.parse(root, minimumSizeHeader: c.header(Self.transitionMinimumSizeHeader))
        try await store.updateBucketConfiguration(name: c.bucket) { $0.lifecycle = configuration }
        var response = APIResponse()
        response.set(Self.transitionMinimumSizeHeader, configuration.transitionMinimumSize.rawValue)
        return response
    }

    func getBucketLifecycleConfiguration(_ c: S3Context) async throws -> APIResponse {
        guard let configuration = try await requireBucket(c).configuration.lifecycle else {
            throw S3Error(.noSuchLifecycleConfiguration, details: [("BucketName", c.bucket)])
        }
        var response = xmlResponse(LifecycleXML.render(configuration))
        response.set(Self.transitionMinimumSizeHeader, configuration.transitionMinimumSize.rawValue)
        return response
    }

    func deleteBucketLifecycle(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.lifecycle = nil }
        return APIResponse(status: .noContent)
    }

    /// Operations whose body S3 insists on checking end to end: Content-MD5 or an `x-amz-checksum-*` must come with it.
    func requireIntegrityHeader(_ c: S3Context, message: String) throws {
        guard c.header("content-md5") != nil || c.request.headers.contains(where: { $0.name.canonicalName.hasPrefix("x-amz-checksum-") })
                || c.header("x-amz-sdk-checksum-algorithm") != nil else {
            throw S3Error.invalidRequest(message)
        }
    }
}
