import HTTPTypes

/// The Operation field of an access log record, `REST.<METHOD>.<RESOURCE>` as AWS names it, decided from the request's
/// shape alone, so requests that fail before routing (a bad signature, a malformed parameter) are named too.
enum AccessLogOperation {
    /// Bucket sub-resources and the resource type AWS logs for each.
    static let bucketResources: [(String, String)] = [
        ("versioning", "VERSIONING"), ("location", "LOCATION"), ("tagging", "TAGGING"), ("encryption", "ENCRYPTION"),
        ("lifecycle", "LIFECYCLE"), ("object-lock", "OBJECT_LOCK_CONFIGURATION"), ("logging", "LOGGING_STATUS"),
        ("versions", "BUCKETVERSIONS"), ("uploads", "UPLOADS"), ("delete", "MULTI_OBJECT_DELETE"),
        ("policyStatus", "POLICY_STATUS"), ("policy", "BUCKETPOLICY"), ("acl", "ACL"), ("cors", "CORS"),
        ("website", "WEBSITE"), ("notification", "NOTIFICATION"), ("replication", "REPLICATION"),
        ("publicAccessBlock", "PUBLIC_ACCESS_BLOCK"), ("ownershipControls", "OWNERSHIP_CONTROLS"),
        ("accelerate", "ACCELERATE"), ("requestPayment", "REQUEST_PAYMENT"), ("analytics", "ANALYTICS"),
        ("inventory", "INVENTORY"), ("metrics", "METRICS"), ("intelligent-tiering", "INTELLIGENT_TIERING"),
    ]
    static let objectResources: [(String, String)] = [
        ("tagging", "OBJECT_TAGGING"), ("retention", "RETENTION"), ("legal-hold", "LEGAL_HOLD"),
        ("attributes", "OBJECT_ATTRIBUTES"), ("acl", "ACL"), ("restore", "RESTORE"), ("select", "SELECT"),
        ("torrent", "TORRENT"), ("uploads", "UPLOADS"), ("uploadId", "UPLOAD"),
    ]

    static func name(method: HTTPRequest.Method, hasKey: Bool, query: QueryParameters, copySource: Bool) -> String {
        let verb = method.rawValue.uppercased()
        if hasKey {
            if method == .put, copySource { return query.has("uploadId") ? "REST.COPY.PART" : "REST.COPY.OBJECT" }
            if method == .put, query.has("uploadId") { return "REST.PUT.PART" }
            let resource = objectResources.first { query.has($0.0) }?.1 ?? "OBJECT"
            return "REST.\(verb).\(resource)"
        }
        let resource = bucketResources.first { query.has($0.0) }?.1 ?? "BUCKET"
        return "REST.\(verb).\(resource)"
    }

    /// The extra record a copy writes in the source bucket's log.
    static func copySourceRead(_ operation: String) -> String { operation == "REST.COPY.PART" ? "REST.COPY.PART_GET" : "REST.COPY.OBJECT_GET" }

    static let batchDelete = "BATCH.DELETE.OBJECT"
}
