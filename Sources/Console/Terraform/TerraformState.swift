import Foundation

/// What the console shows of a Terraform state file (format version 4, what every Terraform ≥ 0.12 and OpenTofu
/// writes): its header and, by resource instance address, a canonical form of each instance to compare.
struct TerraformState: Sendable {
    var version: Int?
    var terraformVersion: String?
    var serial: Int?
    var lineage: String?
    /// Resource instance address (`module.net.aws_subnet.private["a"]`) → its attributes as canonical JSON.
    var instances: [String: String] = [:]
    /// Output name → its value as canonical JSON, or nil when the output is sensitive (never shown).
    var outputs: [String: String?] = [:]

    /// nil when the bytes are not a JSON object (not a state file). Without `details`, only the header is kept: a
    /// history page needs serials for every version but instances and outputs for the two it compares.
    init?(bytes: [UInt8], details: Bool = true) {
        guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        version = document["version"] as? Int
        terraformVersion = document["terraform_version"] as? String
        serial = document["serial"] as? Int
        lineage = document["lineage"] as? String
        guard details else { return }
        for resource in document["resources"] as? [[String: Any]] ?? [] {
            let base = Self.address(of: resource)
            for instance in resource["instances"] as? [[String: Any]] ?? [] {
                let address = base + Self.indexSuffix(instance["index_key"])
                let attributes = instance["attributes"] ?? instance["attributes_flat"] ?? [:]
                instances[address] = Self.canonical(attributes)
            }
        }
        for (name, output) in document["outputs"] as? [String: [String: Any]] ?? [:] {
            outputs[name] = (output["sensitive"] as? Bool) == true ? .some(nil) : .some(Self.canonical(output["value"] ?? NSNull()))
        }
    }

    static func address(of resource: [String: Any]) -> String {
        var parts: [String] = []
        if let module = resource["module"] as? String, !module.isEmpty { parts.append(module) }
        if resource["mode"] as? String == "data" { parts.append("data") }
        parts.append(resource["type"] as? String ?? "?")
        parts.append(resource["name"] as? String ?? "?")
        return parts.joined(separator: ".")
    }

    static func indexSuffix(_ key: Any?) -> String {
        switch key {
        case let text as String: return "[\"\(text)\"]"
        case let number as NSNumber: return "[\(number)]"
        default: return ""
        }
    }

    static func canonical(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What changed from one state to another, by address: what `terraform plan` would have said was applied.
struct StateDiff: Sendable, Codable, Equatable {
    var added: [String] = []
    var removed: [String] = []
    var changed: [String] = []
    var outputsAdded: [String] = []
    var outputsRemoved: [String] = []
    /// Changed outputs with their old and new values; nil values are sensitive.
    var outputsChanged: [OutputChange] = []

    struct OutputChange: Sendable, Codable, Equatable {
        var name: String
        var from: String?
        var to: String?
    }

    init(from old: TerraformState, to new: TerraformState) {
        added = new.instances.keys.filter { old.instances[$0] == nil }.sorted()
        removed = old.instances.keys.filter { new.instances[$0] == nil }.sorted()
        changed = new.instances.compactMap { address, attributes in
            guard let before = old.instances[address], before != attributes else { return nil }
            return address
        }.sorted()
        outputsAdded = new.outputs.keys.filter { old.outputs[$0] == nil }.sorted()
        outputsRemoved = old.outputs.keys.filter { new.outputs[$0] == nil }.sorted()
        outputsChanged = new.outputs.compactMap { name, value -> OutputChange? in
            guard let before = old.outputs[name] else { return nil }
            // Sensitive values are never read, so two of them compare equal: only a change of visibility shows.
            guard before != value else { return nil }
            return OutputChange(name: name, from: before, to: value)
        }.sorted { $0.name < $1.name }
    }

    var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && outputsAdded.isEmpty && outputsRemoved.isEmpty && outputsChanged.isEmpty
    }
}

/// The lock Terraform writes (S3 `use_lockfile`'s `<key>.tflock`, the DynamoDB item's `Info`, the http backend's
/// lock): `{"ID", "Operation", "Info", "Who", "Version", "Created", "Path"}`.
struct TerraformLockInfo: Sendable, Codable, Equatable {
    var id: String?
    var operation: String?
    var who: String?
    var version: String?
    var created: String?
    var path: String?

    init?(bytes: [UInt8]) {
        guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        id = document["ID"] as? String
        operation = document["Operation"] as? String
        who = document["Who"] as? String
        version = document["Version"] as? String
        created = document["Created"] as? String
        path = document["Path"] as? String
    }
}
