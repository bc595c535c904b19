/// A bucket's CORS configuration: its rules in document order, since S3 answers with the first rule that matches.
/// Stored as JSON in the bucket's configuration document, spelled as the S3 console and the CLI's JSON spell it
/// (`CORSRules`, `AllowedOrigins`, …), so the stored form reads like the configuration a user wrote.
struct CORSConfiguration: Sendable, Codable, Equatable {
    var rules: [CORSRule]

    /// S3's published limit on rules in one configuration.
    static let maximumRules = 100

    init(rules: [CORSRule]) {
        self.rules = rules
    }

    private enum CodingKeys: String, CodingKey {
        case rules = "CORSRules"
    }
}

/// One `CORSRule`. Values are kept as given: GetBucketCors answers them unnormalized, header names in the case the
/// user wrote them.
struct CORSRule: Sendable, Codable, Equatable {
    var id: String?
    var allowedOrigins: [String]
    var allowedMethods: [String]
    var allowedHeaders: [String]
    var exposeHeaders: [String]
    var maxAgeSeconds: Int?

    /// The only methods a rule may allow; anything else is refused when the configuration is put.
    static let supportedMethods: Set<String> = ["GET", "PUT", "POST", "DELETE", "HEAD"]

    /// A rule's ID is at most this many characters.
    static let maximumIDLength = 255

    init(id: String? = nil, allowedOrigins: [String], allowedMethods: [String], allowedHeaders: [String] = [],
         exposeHeaders: [String] = [], maxAgeSeconds: Int? = nil) {
        self.id = id
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case id = "ID"
        case allowedOrigins = "AllowedOrigins"
        case allowedMethods = "AllowedMethods"
        case allowedHeaders = "AllowedHeaders"
        case exposeHeaders = "ExposeHeaders"
        case maxAgeSeconds = "MaxAgeSeconds"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        allowedOrigins = try c.decode([String].self, forKey: .allowedOrigins)
        allowedMethods = try c.decode([String].self, forKey: .allowedMethods)
        allowedHeaders = try c.decodeIfPresent([String].self, forKey: .allowedHeaders) ?? []
        exposeHeaders = try c.decodeIfPresent([String].self, forKey: .exposeHeaders) ?? []
        maxAgeSeconds = try c.decodeIfPresent(Int.self, forKey: .maxAgeSeconds)
    }

    /// Optional lists are left out when empty, as the console's JSON leaves them out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(allowedOrigins, forKey: .allowedOrigins)
        try c.encode(allowedMethods, forKey: .allowedMethods)
        if !allowedHeaders.isEmpty { try c.encode(allowedHeaders, forKey: .allowedHeaders) }
        if !exposeHeaders.isEmpty { try c.encode(exposeHeaders, forKey: .exposeHeaders) }
        try c.encodeIfPresent(maxAgeSeconds, forKey: .maxAgeSeconds)
    }
}
