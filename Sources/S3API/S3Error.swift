import HTTPTypes

/// Every failure an S3 request can end in: AWS's code, status and message. Rendered to XML in one place (`S3ErrorResponse`).
public struct S3Error: Error, Sendable {
    public var code: String
    public var status: HTTPResponse.Status
    public var message: String
    public var resource: String?
    /// Extra elements AWS adds to some errors (e.g. `StringToSign`, `RequestTime`), in order.
    public var details: [(String, String)] = []
    /// Headers AWS sends with some errors (e.g. `x-amz-delete-marker`, `Allow`).
    public var headers: [(String, String)] = []

    public init(_ code: String, _ status: HTTPResponse.Status, _ message: String, resource: String? = nil,
                details: [(String, String)] = [], headers: [(String, String)] = []) {
        self.code = code; self.status = status; self.message = message; self.resource = resource
        self.details = details; self.headers = headers
    }
}

extension HTTPResponse.Status {
    /// 416 Range Not Satisfiable.
    static let rangeNotSatisfiable416 = HTTPResponse.Status(code: 416, reasonPhrase: "Requested Range Not Satisfiable")
}

extension S3Error {
    public static func accessDenied(_ message: String = "Access Denied") -> S3Error { S3Error("AccessDenied", .forbidden, message) }
    public static func noSuchBucket(_ bucket: String) -> S3Error {
        S3Error("NoSuchBucket", .notFound, "The specified bucket does not exist", details: [("BucketName", bucket)])
    }
    public static func noSuchKey(_ key: String) -> S3Error { S3Error("NoSuchKey", .notFound, "The specified key does not exist.", details: [("Key", key)]) }
    public static func noSuchVersion(_ key: String, _ versionId: String) -> S3Error {
        S3Error("NoSuchVersion", .notFound, "The specified version does not exist.", details: [("Key", key), ("VersionId", versionId)])
    }
    public static func noSuchUpload(_ uploadId: String) -> S3Error {
        S3Error("NoSuchUpload", .notFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                details: [("UploadId", uploadId)])
    }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var details: [(String, String)] = []
        if let name { details.append(("ArgumentName", name)) }
        if let value { details.append(("ArgumentValue", value)) }
        return S3Error("InvalidArgument", .badRequest, message, details: details)
    }
    public static func invalidRequest(_ message: String) -> S3Error { S3Error("InvalidRequest", .badRequest, message) }
    public static func malformedXML() -> S3Error {
        S3Error("MalformedXML", .badRequest, "The XML you provided was not well-formed or did not validate against our published schema")
    }
    public static func notImplemented(_ message: String = "A header you provided implies functionality that is not implemented") -> S3Error {
        S3Error("NotImplemented", .notImplemented, message)
    }
    public static func preconditionFailed(_ condition: String) -> S3Error {
        S3Error("PreconditionFailed", .preconditionFailed, "At least one of the pre-conditions you specified did not hold", details: [("Condition", condition)])
    }
    public static func badDigest(_ message: String = "The Content-MD5 you specified did not match what we received.") -> S3Error {
        S3Error("BadDigest", .badRequest, message)
    }
    public static func invalidDigest() -> S3Error { S3Error("InvalidDigest", .badRequest, "The Content-MD5 you specified was invalid.") }
    public static func incompleteBody() -> S3Error {
        S3Error("IncompleteBody", .badRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header")
    }
    public static func internalError(_ message: String = "We encountered an internal error. Please try again.") -> S3Error {
        S3Error("InternalError", .internalServerError, message)
    }
    public static func methodNotAllowed(_ message: String = "The specified method is not allowed against this resource.") -> S3Error {
        S3Error("MethodNotAllowed", .methodNotAllowed, message)
    }
}
