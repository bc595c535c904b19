import Foundation

/// State version headers (serial, lineage, Terraform version) by bucket, key and version id. A version's bytes never
/// change, so a history of 200 versions is read and parsed once; each page load still asks authorization for every
/// version it shows.
final class StateCache: @unchecked Sendable {
    // Unchecked: `entries` and `order` are only touched under `lock`.
    private let lock = NSLock()
    private var entries: [String: TerraformState] = [:]
    private var order: [String] = []
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    static func key(_ bucket: String, _ key: String, _ versionId: String) -> String { bucket + "\u{0}" + key + "\u{0}" + versionId }

    func state(_ id: String) -> TerraformState? { lock.withLock { entries[id] } }

    func store(_ state: TerraformState, _ id: String) {
        lock.withLock {
            if entries[id] == nil {
                order.append(id)
                if order.count > capacity { entries[order.removeFirst()] = nil }
            }
            entries[id] = state
        }
    }
}
