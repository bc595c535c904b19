import AWSJSON

/// A ProjectionExpression (or the legacy AttributesToGet): which attributes, or parts of them, a read returns.
public struct ProjectionExpression: Sendable {
    let paths: [DocumentPath]

    /// Top-level attribute names the projection reads.
    public var topLevelNames: Set<String> { Set(paths.map(\.topLevelName)) }

    public static func parse(_ text: String, _ attributes: inout ExpressionAttributes) throws(AWSJSONError) -> ProjectionExpression {
        var cursor = TokenCursor(text, parameter: "ProjectionExpression")
        try ConditionParser.checkLength(text, cursor)
        var raw: [[ConditionParser.RawElement]] = []
        repeat {
            raw.append(try cursor.parsePath(keywords: []))
            guard cursor.isSymbol(",") else { break }
            cursor.advance()
        } while true
        guard cursor.atEnd else { throw cursor.syntaxError() }

        // Ranked as DynamoDB ranks them: reserved words, undefined names, overlapping paths, conflicting paths.
        var checker = UpdateChecker(attributes: attributes, prefix: cursor.prefix)
        var paths: [DocumentPath] = []
        for elements in raw {
            if let path = checker.resolvePath(elements) { paths.append(path) }
        }
        var checked: [DocumentPath] = []
        for path in paths {
            for earlier in checked {
                switch DocumentPath.relation(earlier, path) {
                case .overlap:
                    checker.record(.overlap, "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                                   + "path one: \(earlier), path two: \(path)")
                case .conflict:
                    checker.record(.conflict, "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                                   + "path one: \(earlier), path two: \(path)")
                case .independent:
                    continue
                }
                break
            }
            checked.append(path)
        }
        try checker.errors.throwFirst()
        attributes = checker.attributes
        return ProjectionExpression(paths: paths)
    }

    /// The legacy AttributesToGet: top-level names, taken literally (no placeholders, no reserved words).
    public static func attributesToGet(_ names: [String]) -> ProjectionExpression {
        ProjectionExpression(paths: names.map { DocumentPath(elements: [.name($0)]) })
    }

    /// The projected item: nested paths keep their structure (`a.b` gives `{"a": {"M": {"b": …}}}`), and list
    /// elements picked by index come back as a list of just those elements, in their original order. Paths that do
    /// not exist in the item add nothing.
    public func apply(_ item: Item) -> Item {
        let tree = ProjectionTree(paths)
        var result: Item = [:]
        for (name, branch) in tree.names {
            if let value = item[name], let projected = branch.project(value) { result[name] = projected }
        }
        return result
    }
}

/// The projection's paths merged into one tree, so several paths into one attribute give one value.
struct ProjectionTree {
    var whole = false
    var names: [String: ProjectionTree] = [:]
    var indexes: [Int: ProjectionTree] = [:]

    init() {}

    /// Paths deeper than items can nest select nothing, and are left out so the tree stays shallow.
    init(_ paths: [DocumentPath]) {
        for path in paths where path.elements.count <= AttributeValue.maxNestingLevels { insert(path.elements[...]) }
    }

    mutating func insert(_ steps: ArraySlice<DocumentPath.Element>) {
        guard let step = steps.first else {
            whole = true
            return
        }
        switch step {
        case .name(let name): names[name, default: ProjectionTree()].insert(steps.dropFirst())
        case .index(let index): indexes[index, default: ProjectionTree()].insert(steps.dropFirst())
        }
    }

    func project(_ value: AttributeValue) -> AttributeValue? {
        if whole { return value }
        switch value {
        case .map(let entries) where !names.isEmpty:
            var picked: [String: AttributeValue] = [:]
            for (name, branch) in names {
                if let child = entries[name], let projected = branch.project(child) { picked[name] = projected }
            }
            return picked.isEmpty ? nil : .map(picked)
        case .list(let elements) where !indexes.isEmpty:
            let picked = indexes.sorted { $0.key < $1.key }.compactMap { index, branch in
                index < elements.count ? branch.project(elements[index]) : nil
            }
            return picked.isEmpty ? nil : .list(picked)
        default:
            return nil
        }
    }
}
