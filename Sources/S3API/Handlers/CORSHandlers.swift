import Foundation
import FrontDoors
import HTTPTypes
import LockstepXML
import NIOCore
import Store

/// PutBucketCors, GetBucketCors, DeleteBucketCors; the `OPTIONS` preflight; the CORS headers of other requests.
extension S3Service {
    func putBucketCors(_ c: S3Context) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
        _ = try await requireBucket(c)
        let configuration: CORSConfiguration
        do {
            configuration = try CORSConfiguration(xml: try parseXML(try await readXMLBody(c)))
        } catch let error as CORSConfigurationError {
            guard let code = S3ErrorCode(rawValue: error.code) else { throw S3Error.malformedXML() }
            var details: [(String, String)] = []
            if let name = error.argumentName { details = [("ArgumentName", name), ("ArgumentValue", error.argumentValue ?? "")] }
            throw S3Error(code, error.message, details: details)
        }
        let encoded = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.cors = encoded }
        return APIResponse()
    }

    func getBucketCors(_ c: S3Context) async throws -> APIResponse {
        guard let configuration = try corsConfiguration(c.bucket) else {
            _ = try await requireBucket(c)
            throw S3Error(.noSuchCORSConfiguration, details: [("BucketName", c.bucket)])
        }
        var x = XMLWriter()
        configuration.write(into: &x)
        return xmlResponse(x)
    }

    func deleteBucketCors(_ c: S3Context) async throws -> APIResponse {
        _ = try await requireBucket(c)
        try await store.updateBucketConfiguration(name: c.bucket) { $0.cors = nil }
        return APIResponse(status: .noContent)
    }

    /// The bucket's CORS rules, nil when it has none (or does not exist).
    func corsConfiguration(_ bucket: String) throws -> CORSConfiguration? {
        guard !bucket.isEmpty, let text = try store.configuration(bucket: bucket)?.cors else { return nil }
        return try? JSONDecoder().decode(CORSConfiguration.self, from: Data(text.utf8))
    }

    /// An `OPTIONS` request: answered from the bucket's CORS rules, without credentials (browsers send none).
    func preflight(_ request: APIRequest, bucket: String, key: String) throws -> APIResponse {
        let configuration = try store.configuration(bucket: bucket)
        let answer = CORSConfiguration.answerPreflight(
            configuration: try corsConfiguration(bucket), bucketExists: configuration != nil, origin: request.header("origin"),
            requestMethod: request.header("access-control-request-method"),
            requestHeaders: CORSConfiguration.requestedHeaders(request.header("access-control-request-headers")),
            resourceType: key.isEmpty ? .bucket : .object)
        switch answer {
        case .success(let result):
            var response = APIResponse()
            for (name, value) in result.headers { response.set(name, value) }
            return response
        case .failure(let refusal):
            var details: [(String, String)] = []
            if let method = refusal.method { details.append(("Method", method)) }
            if let type = refusal.resourceType { details.append(("ResourceType", type.rawValue)) }
            throw S3Error(S3ErrorCode(rawValue: refusal.code) ?? .accessForbidden, refusal.message, details: details)
        }
    }

    /// The CORS headers a request with `Origin` gets when a rule of its bucket matches — on errors too, so a browser can
    /// read S3's error.
    func addCORSHeaders(_ request: APIRequest, bucket: String, to response: inout APIResponse) {
        guard let origin = request.header("origin"), let configuration = try? corsConfiguration(bucket) else { return }
        let headers = configuration.headers(forOrigin: origin, method: request.method.rawValue,
                                            accessControlRequestMethod: request.header("access-control-request-method"),
                                            accessControlRequestHeaders: CORSConfiguration.requestedHeaders(request.header("access-control-request-headers")))
        for (name, value) in headers { response.set(name, value) }
    }
}
