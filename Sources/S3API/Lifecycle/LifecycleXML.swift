import Foundation
import FrontDoors
import HTTPDates
import LockstepCrypto
import LockstepXML
import Store

/// PutBucketLifecycleConfiguration's document, read and validated as S3 validates it (each error's code and message
/// as AWS gives them; see docs/lifecycle.md), and GetBucketLifecycleConfiguration's answer, echoing each rule's filter
/// in the shape it was given.
enum LifecycleXML {
    static let maximumRules = 1000
    static let maximumObjectSize: Int64 = 1_099_511_627_776_000
    static let transitionClasses: Set<String> = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
    static let infrequentAccessClasses: Set<String> = ["STANDARD_IA", "ONEZONE_IA"]

    static func parse(_ root: XMLNode, minimumSizeHeader: String?) throws -> LifecycleConfiguration {
        var minimum = LifecycleConfiguration.TransitionMinimumSize.allStorageClasses128K
        if let header = minimumSizeHeader {
            guard let value = LifecycleConfiguration.TransitionMinimumSize(rawValue: header) else {
                throw S3Error.invalidRequest("Invalid TransitionDefaultMinimumObjectSize found: \(header)")
            }
            minimum = value
        }
        guard root.name == "LifecycleConfiguration" else { throw S3Error.malformedXML() }
        let ruleNodes = root.all("Rule")
        guard !ruleNodes.isEmpty else { throw S3Error.malformedXML() }
        guard ruleNodes.count <= maximumRules else {
            throw S3Error.invalidRequest("The number of lifecycle rules must not exceed the allowed limit of 1000 rules.")
        }
        // A configuration is either all legacy (rule-level Prefix) or all V2 (Filter); the first rule decides.
        let legacy = ruleNodes[0].child("Filter") == nil
        var rules: [LifecycleRule] = []
        for node in ruleNodes {
            let rule = try parseRule(node, legacy: legacy)
            guard !rules.contains(where: { $0.id == rule.id }) else {
                throw S3Error.invalidArgument("Rule ID must be unique. Found same ID for more than one rule", name: "ID", value: rule.id)
            }
            rules.append(rule)
        }
        return LifecycleConfiguration(rules: rules, transitionMinimumSize: minimum)
    }

    // MARK: Rules

    static func parseRule(_ node: XMLNode, legacy: Bool) throws -> LifecycleRule {
        let id = node.value("ID") ?? generatedId()
        guard id.count <= 255 else { throw S3Error.invalidArgument("ID length should not exceed allowed limit of 255", name: "ID", value: id) }
        let enabled: Bool
        switch node.value("Status") {
        case "Enabled": enabled = true
        case "Disabled": enabled = false
        default: throw S3Error.malformedXML()
        }
        let filter = try parseFilterOrPrefix(node, legacy: legacy)
        let described = describe(filter)

        var rule = LifecycleRule(id: id, enabled: enabled, filter: filter)
        if let expiration = try one(node, "Expiration") { rule.expiration = try parseExpiration(expiration, filter: filter) }
        if let noncurrent = try one(node, "NoncurrentVersionExpiration") {
            rule.noncurrentExpiration = try parseNoncurrentExpiration(noncurrent, legacy: legacy)
        }
        rule.transitions = try node.all("Transition").map(parseTransition)
        rule.noncurrentTransitions = try node.all("NoncurrentVersionTransition").map { try parseNoncurrentTransition($0, legacy: legacy) }
        if let abort = try one(node, "AbortIncompleteMultipartUpload") {
            guard let days = try integer(abort, "DaysAfterInitiation") else { throw S3Error.malformedXML() }
            guard days > 0 else {
                throw S3Error.invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                                              name: "DaysAfterInitiation", value: String(days))
            }
            if !filter.tags.isEmpty { throw S3Error.invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.") }
            if filter.sizeGreaterThan != nil || filter.sizeLessThan != nil {
                throw S3Error.invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.")
            }
            rule.abortIncompleteUploadDays = days
        }
        guard rule.expiration != nil || rule.noncurrentExpiration != nil || !rule.transitions.isEmpty
                || !rule.noncurrentTransitions.isEmpty || rule.abortIncompleteUploadDays != nil else {
            throw S3Error.invalidRequest("At least one action needs to be specified in a rule")
        }
        try checkTransitions(rule, filter: described)
        return rule
    }

    /// S3 generates a missing ID: base64 of a lowercase UUID (48 characters).
    static func generatedId() -> String { Base64.encode(Array(UUID().uuidString.lowercased().utf8)) }

    /// An element that may appear at most once.
    static func one(_ node: XMLNode, _ name: String) throws -> XMLNode? {
        let all = node.all(name)
        guard all.count <= 1 else { throw S3Error.malformedXML() }
        return all.first
    }

    /// An integer element; present but not an integer is malformed.
    static func integer(_ node: XMLNode, _ name: String) throws -> Int? {
        guard let text = try one(node, name)?.text else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw S3Error.malformedXML() }
        return value
    }

    // MARK: Filters

    static func parseFilterOrPrefix(_ node: XMLNode, legacy: Bool) throws -> LifecycleFilter {
        let filterNode = try one(node, "Filter"), prefixNode = try one(node, "Prefix")
        switch (filterNode, prefixNode) {
        case (nil, let prefix?):
            guard legacy else {
                throw S3Error.invalidRequest("Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.")
            }
            return LifecycleFilter(form: .legacyPrefix, prefix: prefix.text)
        case (let filter?, nil):
            guard !legacy else { throw S3Error.invalidRequest("Filter element can only be used in Lifecycle V2.") }
            return try parseFilter(filter)
        default:
            throw S3Error.malformedXML()
        }
    }

    /// `<Filter/>`, one condition, or `<And>` holding at least two.
    static func parseFilter(_ node: XMLNode) throws -> LifecycleFilter {
        guard node.children.count <= 1 else { throw S3Error.malformedXML() }
        guard let condition = node.children.first else { return LifecycleFilter(form: .single) }
        var filter = LifecycleFilter(form: .single)
        switch condition.name {
        case "Prefix": filter.prefix = condition.text
        case "Tag": filter.tags = [try parseTag(condition)]
        case "ObjectSizeGreaterThan": filter.sizeGreaterThan = try size(condition)
        case "ObjectSizeLessThan": filter.sizeLessThan = try size(condition)
        case "And":
            filter.form = .and
            var conditions = 0
            for child in condition.children {
                conditions += 1
                switch child.name {
                case "Prefix":
                    guard filter.prefix == nil else { throw S3Error.malformedXML() }
                    filter.prefix = child.text
                case "Tag":
                    let tag = try parseTag(child)
                    guard !filter.tags.contains(where: { $0.key == tag.key }) else {
                        throw S3Error.invalidRequest("Duplicate Tag Keys are not allowed.")
                    }
                    filter.tags.append(tag)
                case "ObjectSizeGreaterThan":
                    guard filter.sizeGreaterThan == nil else { throw S3Error.malformedXML() }
                    filter.sizeGreaterThan = try size(child)
                case "ObjectSizeLessThan":
                    guard filter.sizeLessThan == nil else { throw S3Error.malformedXML() }
                    filter.sizeLessThan = try size(child)
                default: throw S3Error.malformedXML()
                }
            }
            guard conditions >= 2 else { throw S3Error.malformedXML() }
        default:
            throw S3Error.malformedXML()
        }
        if let greater = filter.sizeGreaterThan {
            guard (0...maximumObjectSize).contains(greater) else {
                throw S3Error.invalidRequest("'ObjectSizeGreaterThan' should be between 0 and \(maximumObjectSize).")
            }
        }
        if let less = filter.sizeLessThan {
            guard (1...maximumObjectSize).contains(less) else {
                throw S3Error.invalidRequest("'ObjectSizeLessThan' should be between 1 and \(maximumObjectSize).")
            }
            if let greater = filter.sizeGreaterThan, less <= greater {
                throw S3Error.invalidRequest("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.")
            }
        }
        return filter
    }

    static func parseTag(_ node: XMLNode) throws -> Tag {
        guard let key = node.value("Key"), let value = node.value("Value") else { throw S3Error.malformedXML() }
        return Tag(key: key, value: value)
    }

    static func size(_ node: XMLNode) throws -> Int64 {
        guard let value = Int64(node.text.trimmingCharacters(in: .whitespaces)) else { throw S3Error.malformedXML() }
        return value
    }

    /// How S3 names a filter in its messages: `(prefix=logs/)`, `(prefix= and objectsizelessthan=1024)`.
    static func describe(_ filter: LifecycleFilter) -> String {
        var parts = ["prefix=\(filter.prefix ?? "")"]
        for tag in filter.tags { parts.append("tag=\(tag.key):\(tag.value)") }
        if let greater = filter.sizeGreaterThan { parts.append("objectsizegreaterthan=\(greater)") }
        if let less = filter.sizeLessThan { parts.append("objectsizelessthan=\(less)") }
        return "(" + parts.joined(separator: " and ") + ")"
    }

    // MARK: Actions

    static func parseExpiration(_ node: XMLNode, filter: LifecycleFilter) throws -> LifecycleRule.Expiration {
        let days = try integer(node, "Days")
        let date = try one(node, "Date").map { try midnight($0.text) }
        var marker: Bool?
        if let text = try one(node, "ExpiredObjectDeleteMarker")?.text {
            guard text == "true" || text == "false" else { throw S3Error.malformedXML() }
            marker = text == "true"
        }
        // Exactly one of Days, Date and ExpiredObjectDeleteMarker.
        guard [days != nil, date != nil, marker != nil].filter({ $0 }).count == 1 else { throw S3Error.malformedXML() }
        if let days, days <= 0 {
            throw S3Error.invalidArgument("'Days' for Expiration action must be a positive integer", name: "Days", value: String(days))
        }
        if marker != nil {
            if !filter.tags.isEmpty { throw S3Error.invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Tags.") }
            if filter.sizeGreaterThan != nil || filter.sizeLessThan != nil {
                throw S3Error.invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Object Size.")
            }
        }
        return LifecycleRule.Expiration(days: days, dateMillis: date, expiredObjectDeleteMarker: marker)
    }

    static func parseNoncurrentExpiration(_ node: XMLNode, legacy: Bool) throws -> LifecycleRule.NoncurrentExpiration {
        guard let days = try integer(node, "NoncurrentDays") else { throw S3Error.malformedXML() }
        guard days > 0 else {
            throw S3Error.invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                                          name: "NoncurrentDays", value: String(days))
        }
        let newer = try newerNoncurrentVersions(node, action: "NoncurrentVersionExpiration", legacy: legacy)
        return LifecycleRule.NoncurrentExpiration(noncurrentDays: days, newerNoncurrentVersions: newer)
    }

    /// 1–100, and only in V2 (Filter) configurations.
    static func newerNoncurrentVersions(_ node: XMLNode, action: String, legacy: Bool) throws -> Int? {
        guard let newer = try integer(node, "NewerNoncurrentVersions") else { return nil }
        guard !legacy else { throw S3Error.invalidRequest("NewerNoncurrentVersions element can only be used in Lifecycle V2.") }
        guard newer > 0 else {
            throw S3Error.invalidArgument("'NewerNoncurrentVersions' for \(action) action must be a positive integer",
                                          name: "NewerNoncurrentVersions", value: String(newer))
        }
        guard newer <= 100 else {
            throw S3Error.invalidArgument("'NewerNoncurrentVersions' for \(action) action must be less than or equal to 100",
                                          name: "NewerNoncurrentVersions", value: String(newer))
        }
        return newer
    }

    static func parseTransition(_ node: XMLNode) throws -> LifecycleRule.Transition {
        let days = try integer(node, "Days")
        let date = try one(node, "Date").map { try midnight($0.text) }
        guard (days == nil) != (date == nil), let storageClass = try one(node, "StorageClass")?.text,
              transitionClasses.contains(storageClass) else { throw S3Error.malformedXML() }
        if let days {
            guard days >= 0 else {
                throw S3Error.invalidArgument("'Days' in Transition action must be nonnegative", name: "Days", value: String(days))
            }
            if infrequentAccessClasses.contains(storageClass), days < 30 {
                throw S3Error.invalidArgument("'Days' in Transition action must be greater than or equal to 30 for storageClass '\(storageClass)'",
                                              name: "Days", value: String(days))
            }
        }
        return LifecycleRule.Transition(days: days, dateMillis: date, storageClass: storageClass)
    }

    static func parseNoncurrentTransition(_ node: XMLNode, legacy: Bool) throws -> LifecycleRule.NoncurrentTransition {
        guard let days = try integer(node, "NoncurrentDays"), let storageClass = try one(node, "StorageClass")?.text,
              transitionClasses.contains(storageClass) else { throw S3Error.malformedXML() }
        guard days >= 0 else {
            throw S3Error.invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative",
                                          name: "NoncurrentDays", value: String(days))
        }
        if infrequentAccessClasses.contains(storageClass), days < 30 {
            throw S3Error.invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '\(storageClass)'",
                                          name: "NoncurrentDays", value: String(days))
        }
        let newer = try newerNoncurrentVersions(node, action: "NoncurrentVersionTransition", legacy: legacy)
        return LifecycleRule.NoncurrentTransition(noncurrentDays: days, newerNoncurrentVersions: newer, storageClass: storageClass)
    }

    /// Across a rule's actions: no mixing of Days and Dates, one transition per class, an object spends 30 days in an
    /// infrequent-access class before moving on, and expiration comes after every transition.
    static func checkTransitions(_ rule: LifecycleRule, filter: String) throws {
        let transitions = rule.transitions
        let usesDays = transitions.contains { $0.days != nil }, usesDates = transitions.contains { $0.dateMillis != nil }
        if usesDays && usesDates {
            throw S3Error.invalidRequest("Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for filter '\(filter)'")
        }
        if let expiration = rule.expiration, !transitions.isEmpty,
           (expiration.days != nil && usesDates) || (expiration.dateMillis != nil && usesDays) {
            throw S3Error.invalidRequest("Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '\(filter)'")
        }
        if Set(transitions.map(\.storageClass)).count != transitions.count {
            throw S3Error.invalidRequest("'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '\(filter)'")
        }
        if Set(rule.noncurrentTransitions.map(\.storageClass)).count != rule.noncurrentTransitions.count {
            throw S3Error.invalidRequest("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule' with filter '\(filter)'")
        }
        let byDay = transitions.compactMap { t in t.days.map { (days: $0, storageClass: t.storageClass) } }.sorted { $0.days < $1.days }
        for (earlier, later) in zip(byDay, byDay.dropFirst()) {
            if StorageClass.coldness(later.storageClass) <= StorageClass.coldness(earlier.storageClass) {
                throw S3Error.invalidArgument("'Days' in the Transition action for StorageClass '\(earlier.storageClass)' for filter '\(filter)' must be greater than 'Days' in the Transition action for StorageClass '\(later.storageClass)' for filter '\(filter)'",
                                              name: "Days", value: String(later.days))
            }
            if infrequentAccessClasses.contains(earlier.storageClass), later.days < earlier.days + 30 {
                throw S3Error.invalidArgument("'Days' in the Transition action for StorageClass '\(later.storageClass)' for filter '\(filter)' must be 30 days more than 'Days' in the Transition action for StorageClass '\(earlier.storageClass)' for filter '\(filter)'",
                                              name: "Days", value: String(later.days))
            }
        }
        if let expirationDays = rule.expiration?.days, let last = byDay.last, expirationDays <= last.days {
            throw S3Error.invalidArgument("'Days' in the Expiration action for filter '\(filter)' must be greater than 'Days' in the Transition action",
                                          name: "Days", value: String(expirationDays))
        }
        if let noncurrentDays = rule.noncurrentExpiration?.noncurrentDays,
           let last = rule.noncurrentTransitions.map(\.noncurrentDays).max(), noncurrentDays <= last {
            throw S3Error.invalidArgument("'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '\(filter)' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action",
                                          name: "NoncurrentDays", value: String(noncurrentDays))
        }
    }

    // MARK: Dates

    /// An ISO 8601 date or date-time that must fall on midnight UTC; not a date at all is malformed.
    static func midnight(_ text: String) throws -> Int64 {
        guard let millis = ISO8601Date.parse(text) else { throw S3Error.malformedXML() }
        guard millis % 86_400_000 == 0 else {
            throw S3Error.invalidArgument("'Date' must be at midnight GMT", name: "Date", value: text)
        }
        return millis
    }

    // MARK: Rendering

    static func render(_ configuration: LifecycleConfiguration) -> XMLWriter {
        var x = XMLWriter()
        x.group("LifecycleConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            for rule in configuration.rules { render(rule, into: &x) }
        }
        return x
    }

    static func render(_ rule: LifecycleRule, into x: inout XMLWriter) {
        x.group("Rule") { x in
            x.element("ID", rule.id)
            render(rule.filter, into: &x)
            x.element("Status", rule.enabled ? "Enabled" : "Disabled")
            for transition in rule.transitions {
                x.group("Transition") { x in
                    if let days = transition.days { x.element("Days", days) }
                    if let date = transition.dateMillis { x.element("Date", S3Time.iso8601(date)) }
                    x.element("StorageClass", transition.storageClass)
                }
            }
            if let expiration = rule.expiration {
                x.group("Expiration") { x in
                    if let days = expiration.days { x.element("Days", days) }
                    if let date = expiration.dateMillis { x.element("Date", S3Time.iso8601(date)) }
                    if let marker = expiration.expiredObjectDeleteMarker { x.element("ExpiredObjectDeleteMarker", marker) }
                }
            }
            for transition in rule.noncurrentTransitions {
                x.group("NoncurrentVersionTransition") { x in
                    x.element("NoncurrentDays", transition.noncurrentDays)
                    x.element("StorageClass", transition.storageClass)
                    if let newer = transition.newerNoncurrentVersions { x.element("NewerNoncurrentVersions", newer) }
                }
            }
            if let noncurrent = rule.noncurrentExpiration {
                x.group("NoncurrentVersionExpiration") { x in
                    if let days = noncurrent.noncurrentDays { x.element("NoncurrentDays", days) }
                    if let newer = noncurrent.newerNoncurrentVersions { x.element("NewerNoncurrentVersions", newer) }
                }
            }
            if let days = rule.abortIncompleteUploadDays {
                x.group("AbortIncompleteMultipartUpload") { x in x.element("DaysAfterInitiation", days) }
            }
        }
    }

    static func render(_ filter: LifecycleFilter, into x: inout XMLWriter) {
        func conditions(_ x: inout XMLWriter) {
            if let prefix = filter.prefix { x.element("Prefix", prefix) }
            for tag in filter.tags { x.group("Tag") { x in x.element("Key", tag.key); x.element("Value", tag.value) } }
            if let greater = filter.sizeGreaterThan { x.element("ObjectSizeGreaterThan", String(greater)) }
            if let less = filter.sizeLessThan { x.element("ObjectSizeLessThan", String(less)) }
        }
        switch filter.form {
        case .legacyPrefix: x.element("Prefix", filter.prefix ?? "")
        case .single: x.group("Filter", conditions)
        case .and: x.group("Filter") { x in x.group("And", conditions) }
        }
    }
}
