/// A document path in an expression: a top-level attribute name followed by map keys (`.name`) and list indexes
/// (`[n]`), with placeholders already replaced by the names they stand for.
struct DocumentPath: Hashable, Sendable, CustomStringConvertible {
    enum Element: Hashable, Sendable {
        case name(String)
        case index(Int)
    }

    var elements: [Element]

    var topLevelName: String {
        if case .name(let name) = elements.first { return name }
        return ""
    }

    /// DynamoDB's rendering in messages: `[a, b, [2]]`.
    var description: String {
        "[" + elements.map { element in
            switch element {
            case .name(let name): name
            case .index(let index): "[\(index)]"
            }
        }.joined(separator: ", ") + "]"
    }

    /// The value at this path in an item, or nil when any step is missing or of the wrong kind.
    func resolve(in item: Item) -> AttributeValue? {
        guard case .name(let head) = elements.first, var current = item[head] else { return nil }
        for element in elements.dropFirst() {
            switch (element, current) {
            case (.name(let key), .map(let entries)):
                guard let next = entries[key] else { return nil }
                current = next
            case (.index(let index), .list(let values)):
                guard index < values.count else { return nil }
                current = values[index]
            default:
                return nil
            }
        }
        return current
    }

    /// How two paths of one expression relate, for DynamoDB's "overlap" and "conflict" checks: one a prefix of the
    /// other (or equal) overlaps; the same prefix then a name where the other has an index conflicts.
    enum Relation { case independent, overlap, conflict }

    static func relation(_ a: DocumentPath, _ b: DocumentPath) -> Relation {
        for (x, y) in zip(a.elements, b.elements) {
            switch (x, y) {
            case (.name(let p), .name(let q)): if p != q { return .independent }
            case (.index(let p), .index(let q)): if p != q { return .independent }
            default: return .conflict
            }
        }
        return .overlap
    }
}
