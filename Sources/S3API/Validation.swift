import Foundation
import FrontDoors
import LockstepXML
import Store

extension Account {
    /// An `Owner` (or `Initiator`) element: the account's canonical user id and display name.
    func write(_ x: inout XMLWriter, element: String = "Owner") {
        x.group(element) { o in
            o.element("ID", canonicalUserId)
            o.element("DisplayName", displayName)
        }
    }
}

enum Validation {
    static let maxKeyBytes = 1024
    static let maxUserMetadataBytes = 2048

    /// AWS's general-purpose bucket naming rules.
    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        for c in bytes {
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
            if !ok { return false }
        }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        if name.contains("..") || name.contains(".-") || name.contains("-.") { return false }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4 && octets.allSatisfy({ UInt8($0) != nil }) { return false }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) { return false }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) { return false }
        return true
    }

    static func checkKey(_ key: String) throws {
        if key.utf8.count > maxKeyBytes {
            throw S3Error(.keyTooLongError, details: [("MaxSizeAllowed", "1024"), ("Size", String(key.utf8.count))])
        }
    }

    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE",
        "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    ]

    static func checkVersionId(_ id: String?) throws {
        if let id, !ObjectStore.isWellFormedVersionId(id) {
            throw S3Error.invalidArgument("Invalid version id specified", name: "versionId", value: id)
        }
    }

    /// Parses a tag set document (`<Tagging><TagSet><Tag>…`) with S3's limits.
    static func parseTagging(_ body: [UInt8], maxTags: Int) throws -> [Tag] {
        let root = try parseXML(body)
        guard root.name == "Tagging", let set = root.child("TagSet") else { throw S3Error.malformedXML() }
        let tags = try set.all("Tag").map { node -> Tag in
            guard let key = node.value("Key") else { throw S3Error.malformedXML() }
            return Tag(key: key, value: node.value("Value") ?? "")
        }
        try checkTags(tags, maxTags: maxTags)
        return tags
    }

    static func checkTags(_ tags: [Tag], maxTags: Int) throws {
        if tags.count > maxTags {
            throw S3Error(.badRequest, "Object tags cannot be greater than \(maxTags)")
        }
        var seen = Set<String>()
        for tag in tags {
            if !seen.insert(tag.key).inserted { throw S3Error(.invalidTag, "Cannot provide multiple Tags with the same key") }
            if tag.key.isEmpty || tag.key.count > 128 { throw S3Error(.invalidTag, "The TagKey you have provided is invalid") }
            if tag.value.count > 256 { throw S3Error(.invalidTag, "The TagValue you have provided is invalid") }
            if tag.key.hasPrefix("aws:") { throw S3Error(.invalidTag, "Your TagKey cannot be prefixed with aws:") }
        }
    }

    /// The `x-amz-tagging` header: a URL query string of key=value pairs.
    static func parseTaggingHeader(_ header: String) throws -> [Tag] {
        let tags = QueryParameters(raw: header.replacingPlus()).items.map { Tag(key: $0.name, value: $0.value) }
        try checkTags(tags, maxTags: 10)
        return tags
    }
}

func parseXML(_ body: [UInt8]) throws -> XMLNode {
    do { return try XMLParser.parse(body) } catch { throw S3Error.malformedXML() }
}

extension String {
    /// In `x-amz-tagging` (form encoding) `+` means space.
    func replacingPlus() -> String { String(map { $0 == "+" ? " " : $0 }).replacingOccurrences(of: " ", with: "%20") }
}
