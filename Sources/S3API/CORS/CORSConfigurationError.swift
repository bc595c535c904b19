/// Why PutBucketCors refused a configuration, with S3's code and message. Every one is a 400.
struct CORSConfigurationError: Error, Sendable, Equatable {
    var code: String
    var message: String
    /// Set for `InvalidArgument`, whose error document names the argument and its value.
    var argumentName: String?
    var argumentValue: String?

    static let malformedXML = CORSConfigurationError(
        code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema")

    static let tooManyRules = CORSConfigurationError(
        code: "InvalidRequest", message: "The number of CORS rules should not exceed allowed limit of 100 rules.")

    static func unsupportedMethod(_ method: String) -> CORSConfigurationError {
        CORSConfigurationError(
            code: "InvalidRequest", message: "Found unsupported HTTP method in CORS config. Unsupported method is \(method)")
    }

    static func originWildcards(_ origin: String) -> CORSConfigurationError {
        CORSConfigurationError(code: "InvalidRequest", message: "AllowedOrigin \"\(origin)\" can not have more than one wildcard.")
    }

    static func headerWildcards(_ header: String) -> CORSConfigurationError {
        CORSConfigurationError(code: "InvalidRequest", message: "AllowedHeader \"\(header)\" can not have more than one wildcard.")
    }

    static func exposeHeaderWildcard(_ header: String) -> CORSConfigurationError {
        CORSConfigurationError(
            code: "InvalidRequest",
            message: "ExposeHeader \"\(header)\" contains wildcard. We currently do not support wildcard for ExposeHeader.")
    }

    /// Worded as S3 words the same limit on a lifecycle rule's ID.
    static func idTooLong(_ id: String) -> CORSConfigurationError {
        CORSConfigurationError(
            code: "InvalidArgument", message: "ID length should not exceed allowed limit of 255", argumentName: "ID",
            argumentValue: id)
    }
}
