import LockstepXML
import Store

/// The `BucketLoggingStatus` document of Put/GetBucketLogging. An empty status turns logging off; anything that is not
/// AWS's shape (unknown or repeated elements, a missing target or prefix, both key formats) is `MalformedXML`.
enum BucketLoggingXML {
    /// AWS answers this document in the namespace of its original API.
    static let namespace = "http://doc.s3.amazonaws.com/2006-03-01"

    struct Parsed: Equatable {
        var logging: BucketLogging?
        /// `TargetGrants` was given with at least one grant.
        var hasGrants: Bool
    }

    static func parse(_ root: XMLNode) throws -> Parsed {
        guard root.name == "BucketLoggingStatus", root.children.allSatisfy({ $0.name == "LoggingEnabled" }),
              root.children.count <= 1 else { throw S3Error.malformedXML() }
        guard let enabled = root.children.first else { return Parsed(logging: nil, hasGrants: false) }
        try onlyOnce(enabled, allowed: ["TargetBucket", "TargetPrefix", "TargetGrants", "TargetObjectKeyFormat"])
        guard let target = enabled.value("TargetBucket"), !target.isEmpty, let prefix = enabled.value("TargetPrefix") else {
            throw S3Error.malformedXML()
        }
        var hasGrants = false
        if let grants = enabled.child("TargetGrants") {
            guard grants.children.allSatisfy({ $0.name == "Grant" }) else { throw S3Error.malformedXML() }
            try grants.children.forEach(validateGrant)
            hasGrants = !grants.children.isEmpty
        }
        var format = LogObjectKeyFormat.simple
        if let formatNode = enabled.child("TargetObjectKeyFormat") {
            format = try keyFormat(formatNode)
        }
        return Parsed(logging: BucketLogging(targetBucket: target, targetPrefix: prefix, keyFormat: format), hasGrants: hasGrants)
    }

    static func render(_ logging: BucketLogging?) -> XMLWriter {
        var x = XMLWriter()
        x.group("BucketLoggingStatus", attributes: [("xmlns", namespace)]) { x in
            guard let logging else { return }
            x.group("LoggingEnabled") { x in
                x.element("TargetBucket", logging.targetBucket)
                x.element("TargetPrefix", logging.targetPrefix)
                x.group("TargetObjectKeyFormat") { x in
                    switch logging.keyFormat {
                    case .simple:
                        x.group("SimplePrefix") { _ in }
                    case .partitioned(let source):
                        x.group("PartitionedPrefix") { x in x.element("PartitionDateSource", source.rawValue) }
                    }
                }
            }
        }
        return x
    }

    private static func keyFormat(_ node: XMLNode) throws -> LogObjectKeyFormat {
        try onlyOnce(node, allowed: ["SimplePrefix", "PartitionedPrefix"])
        switch (node.child("SimplePrefix"), node.child("PartitionedPrefix")) {
        case (let simple?, nil):
            guard simple.children.isEmpty else { throw S3Error.malformedXML() }
            return .simple
        case (nil, let partitioned?):
            try onlyOnce(partitioned, allowed: ["PartitionDateSource"])
            guard let text = partitioned.value("PartitionDateSource") else { return .partitioned(.eventTime) }
            guard let source = LogObjectKeyFormat.PartitionDateSource(rawValue: text) else { throw S3Error.malformedXML() }
            return .partitioned(source)
        case (nil, nil):
            return .simple
        default:
            throw S3Error.malformedXML()
        }
    }

    /// A grant names one grantee (by ID, e-mail address or group URI) and one of the permissions a log target takes.
    private static func validateGrant(_ grant: XMLNode) throws {
        try onlyOnce(grant, allowed: ["Grantee", "Permission"])
        guard let grantee = grant.child("Grantee"), let permission = grant.value("Permission"),
              ["FULL_CONTROL", "READ", "WRITE"].contains(permission) else { throw S3Error.malformedXML() }
        try onlyOnce(grantee, allowed: ["ID", "DisplayName", "EmailAddress", "URI"])
        let identifiers = grantee.children.filter { $0.name != "DisplayName" }
        guard identifiers.count == 1, !identifiers[0].text.isEmpty else { throw S3Error.malformedXML() }
    }

    /// Every child is one of `allowed`, each at most once.
    private static func onlyOnce(_ node: XMLNode, allowed: Set<String>) throws {
        var seen: Set<String> = []
        for child in node.children {
            guard allowed.contains(child.name), seen.insert(child.name).inserted else { throw S3Error.malformedXML() }
        }
    }
}
