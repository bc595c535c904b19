/// S3's refusals of an `OPTIONS` request. The 403s carry two extra elements in the error document: `Method`, the
/// requested method (or `OPTIONS` when none was requested), and `ResourceType`.
struct CORSPreflightRefusal: Error, Sendable, Equatable {
    enum ResourceType: String, Sendable {
        case bucket = "BUCKET"
        case object = "OBJECT"
    }

    var status: Int
    var code: String
    var message: String
    var method: String?
    var resourceType: ResourceType?

    static let missingOrigin = CORSPreflightRefusal(
        status: 400, code: "BadRequest", message: "Insufficient information. Origin request header needed.")

    /// A requested method S3 never allows, or none at all on a bucket with rules (S3 names it `null`).
    static func invalidRequestMethod(_ method: String?) -> CORSPreflightRefusal {
        CORSPreflightRefusal(status: 400, code: "BadRequest", message: "Invalid Access-Control-Request-Method: \(method ?? "null")")
    }

    static func bucketNotFound(method: String?) -> CORSPreflightRefusal {
        CORSPreflightRefusal(status: 403, code: "AccessForbidden", message: "CORSResponse: Bucket not found",
                             method: method ?? "OPTIONS", resourceType: .bucket)
    }

    /// Named the bucket even when the request named a key: S3 answers before looking at the key.
    static func notEnabled(method: String?) -> CORSPreflightRefusal {
        CORSPreflightRefusal(status: 403, code: "AccessForbidden", message: "CORSResponse: CORS is not enabled for this bucket.",
                             method: method ?? "OPTIONS", resourceType: .bucket)
    }

    /// S3's own wording, "evalution" included.
    static func notAllowed(method: String, resourceType: ResourceType) -> CORSPreflightRefusal {
        CORSPreflightRefusal(
            status: 403, code: "AccessForbidden",
            message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
                + "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
                + "by the resource's CORS spec.",
            method: method, resourceType: resourceType)
    }
}

extension CORSConfiguration {
    /// An `OPTIONS` request answered whole: the preflight's headers, or S3's refusal. The checks run in the order S3 was seen
    /// to apply them: the origin, a method S3 never allows, the bucket, its configuration, a missing method, the rules.
    /// `resourceType` is what the request's path names, a bucket or a key.
    static func answerPreflight(configuration: CORSConfiguration?, bucketExists: Bool = true, origin: String?,
                                requestMethod: String?, requestHeaders: [String],
                                resourceType: CORSPreflightRefusal.ResourceType) -> Result<CORSResult, CORSPreflightRefusal> {
        guard let origin else { return .failure(.missingOrigin) }
        if let requestMethod, !CORSRule.supportedMethods.contains(requestMethod) {
            return .failure(.invalidRequestMethod(requestMethod))
        }
        guard bucketExists else { return .failure(.bucketNotFound(method: requestMethod)) }
        guard let configuration else { return .failure(.notEnabled(method: requestMethod)) }
        guard let requestMethod else { return .failure(.invalidRequestMethod(nil)) }
        guard let result = configuration.preflight(origin: origin, method: requestMethod, requestHeaders: requestHeaders) else {
            return .failure(.notAllowed(method: requestMethod, resourceType: resourceType))
        }
        return .success(result)
    }

    /// Why S3 refuses an `OPTIONS` request, or nil when a rule answers it.
    static func preflightRefusal(configuration: CORSConfiguration?, bucketExists: Bool = true, origin: String?,
                                 requestMethod: String?, requestHeaders: [String],
                                 resourceType: CORSPreflightRefusal.ResourceType) -> CORSPreflightRefusal? {
        let answer = answerPreflight(configuration: configuration, bucketExists: bucketExists, origin: origin,
                                     requestMethod: requestMethod, requestHeaders: requestHeaders, resourceType: resourceType)
        if case .failure(let refusal) = answer { return refusal }
        return nil
    }
}
