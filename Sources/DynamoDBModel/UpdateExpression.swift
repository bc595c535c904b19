import AWSJSON

/// An UpdateExpression (or the legacy AttributeUpdates), parsed and checked, ready to apply to items.
public struct UpdateExpression: Sendable {
    indirect enum Operand: Sendable {
        case path(DocumentPath)
        case value(AttributeValue)
        case ifNotExists(DocumentPath, Operand)
        case listAppend(Operand, Operand)
    }

    enum SetValue: Sendable {
        case operand(Operand)
        case plus(Operand, Operand)
        case minus(Operand, Operand)
    }

    enum Action: Sendable {
        case set(DocumentPath, SetValue)
        case remove(DocumentPath)
        case add(DocumentPath, AttributeValue)
        case delete(DocumentPath, AttributeValue)

        var path: DocumentPath {
            switch self {
            case .set(let path, _), .remove(let path), .add(let path, _), .delete(let path, _): path
            }
        }
    }

    let actions: [Action]
    /// AttributeUpdates rather than an expression: ADD appends lists, and type errors have the legacy message.
    let legacy: Bool

    init(actions: [Action], legacy: Bool = false) {
        self.actions = actions
        self.legacy = legacy
    }

    public static func parse(_ text: String, _ attributes: inout ExpressionAttributes) throws(AWSJSONError) -> UpdateExpression {
        try UpdateParser.parse(text, &attributes)
    }

    /// The top-level attribute names this update touches.
    public var updatedTopLevelNames: Set<String> { Set(actions.map(\.path.topLevelName)) }

    static var missingAttribute: AWSJSONError {
        .validation("The provided expression refers to an attribute that does not exist in the item")
    }

    static var invalidPath: AWSJSONError {
        .validation("The document path provided in the update expression is invalid for update")
    }

    var wrongType: AWSJSONError {
        legacy ? .validation("One or more parameter values were invalid: Type mismatch for attribute to update")
            : .validation("An operand in the update expression has an incorrect data type")
    }

    /// Applies the actions as one atomic change: every SET value is computed from the item as it was, then SET,
    /// REMOVE (list elements by their original positions), ADD and DELETE are applied. On error the item is unchanged.
    public func apply(to item: inout Item) throws(AWSJSONError) {
        let original = item
        var result = item
        var assignments: [(DocumentPath, AttributeValue)] = []
        for case .set(let path, let value) in actions {
            assignments.append((path, try evaluate(value, original)))
        }
        for (path, value) in assignments {
            try Self.assign(value, at: path, in: &result)
        }
        // Highest list positions first, so removing one element does not shift the others still to be removed.
        let removals = actions.compactMap { action -> DocumentPath? in
            if case .remove(let path) = action { return path }
            return nil
        }.sorted { Self.removalOrder($0, $1) }
        for path in removals {
            try Self.remove(path, in: &result)
        }
        for action in actions {
            switch action {
            case .add(let path, let value):
                try add(value, at: path, in: &result)
            case .delete(let path, let value):
                try delete(value, at: path, in: &result)
            default:
                break
            }
        }
        item = result
    }

    func evaluate(_ value: SetValue, _ item: Item) throws(AWSJSONError) -> AttributeValue {
        switch value {
        case .operand(let operand):
            return try evaluate(operand, item)
        case .plus(let a, let b), .minus(let a, let b):
            guard case .number(let x) = try evaluate(a, item), case .number(let y) = try evaluate(b, item) else { throw wrongType }
            if case .plus = value { return .number(try x + y) }
            return .number(try x - y)
        }
    }

    func evaluate(_ operand: Operand, _ item: Item) throws(AWSJSONError) -> AttributeValue {
        switch operand {
        case .value(let value):
            return value
        case .path(let path):
            guard let value = path.resolve(in: item) else { throw Self.missingAttribute }
            return value
        case .ifNotExists(let path, let fallback):
            if let value = path.resolve(in: item) { return value }
            return try evaluate(fallback, item)
        case .listAppend(let a, let b):
            guard case .list(let x) = try evaluate(a, item), case .list(let y) = try evaluate(b, item) else { throw wrongType }
            return .list(x + y)
        }
    }

    // MARK: - Changing a document path

    /// Sets the value at the path. Every step but the last must exist and be of the kind the step needs; a list index
    /// past the end appends.
    static func assign(_ value: AttributeValue, at path: DocumentPath, in item: inout Item) throws(AWSJSONError) {
        let head = path.topLevelName
        guard path.elements.count > 1 else {
            item[head] = value
            return
        }
        guard var container = item[head] else { throw invalidPath }
        try assign(value, path.elements.dropFirst(), in: &container)
        item[head] = container
    }

    private static func assign(_ value: AttributeValue, _ steps: ArraySlice<DocumentPath.Element>, in container: inout AttributeValue) throws(AWSJSONError) {
        let step = steps.first!
        let rest = steps.dropFirst()
        switch (step, container) {
        case (.name(let key), .map(var entries)):
            if rest.isEmpty {
                entries[key] = value
            } else {
                guard var child = entries[key] else { throw invalidPath }
                try assign(value, rest, in: &child)
                entries[key] = child
            }
            container = .map(entries)
        case (.index(let index), .list(var elements)):
            if rest.isEmpty {
                if index < elements.count { elements[index] = value } else { elements.append(value) }
            } else {
                guard index < elements.count else { throw invalidPath }
                var child = elements[index]
                try assign(value, rest, in: &child)
                elements[index] = child
            }
            container = .list(elements)
        default:
            throw invalidPath
        }
    }

    /// Removes the value at the path; nothing happens when the last step does not exist.
    static func remove(_ path: DocumentPath, in item: inout Item) throws(AWSJSONError) {
        let head = path.topLevelName
        guard path.elements.count > 1 else {
            item[head] = nil
            return
        }
        guard var container = item[head] else { throw invalidPath }
        try remove(path.elements.dropFirst(), in: &container)
        item[head] = container
    }

    private static func remove(_ steps: ArraySlice<DocumentPath.Element>, in container: inout AttributeValue) throws(AWSJSONError) {
        let step = steps.first!
        let rest = steps.dropFirst()
        switch (step, container) {
        case (.name(let key), .map(var entries)):
            if rest.isEmpty {
                entries[key] = nil
            } else {
                guard var child = entries[key] else { throw invalidPath }
                try remove(rest, in: &child)
                entries[key] = child
            }
            container = .map(entries)
        case (.index(let index), .list(var elements)):
            if rest.isEmpty {
                if index < elements.count { elements.remove(at: index) }
            } else {
                guard index < elements.count else { throw invalidPath }
                var child = elements[index]
                try remove(rest, in: &child)
                elements[index] = child
            }
            container = .list(elements)
        default:
            throw invalidPath
        }
    }

    static func removalOrder(_ a: DocumentPath, _ b: DocumentPath) -> Bool {
        for (x, y) in zip(a.elements, b.elements) {
            switch (x, y) {
            case (.index(let p), .index(let q)) where p != q: return p > q
            case (.name(let p), .name(let q)) where p != q: return p < q
            default: continue
            }
        }
        return a.elements.count > b.elements.count
    }

    /// ADD: numbers are summed, sets united; a missing attribute is created with the value.
    func add(_ value: AttributeValue, at path: DocumentPath, in item: inout Item) throws(AWSJSONError) {
        guard let current = path.resolve(in: item) else {
            try Self.assign(value, at: path, in: &item)
            return
        }
        let sum: AttributeValue
        switch (current, value) {
        case (.number(let x), .number(let y)):
            sum = .number(try x + y)
        case (.stringSet(let x), .stringSet(let y)):
            sum = .stringSet(x + y.filter { !x.contains($0) })
        case (.numberSet(let x), .numberSet(let y)):
            sum = .numberSet(x + y.filter { !x.contains($0) })
        case (.binarySet(let x), .binarySet(let y)):
            sum = .binarySet(x + y.filter { !x.contains($0) })
        case (.list(let x), .list(let y)) where legacy:
            sum = .list(x + y)
        default:
            throw wrongType
        }
        try Self.assign(sum, at: path, in: &item)
    }

    /// DELETE: removes the given elements from a set; an emptied set is removed, a missing one ignored.
    func delete(_ value: AttributeValue, at path: DocumentPath, in item: inout Item) throws(AWSJSONError) {
        guard let current = path.resolve(in: item) else {
            if path.elements.count > 1 {
                // The attribute may be missing, but the path to it must still be a valid one.
                var probe = item
                try Self.remove(path, in: &probe)
            }
            return
        }
        let remaining: AttributeValue
        let isEmpty: Bool
        switch (current, value) {
        case (.stringSet(let x), .stringSet(let y)):
            remaining = .stringSet(x.filter { !y.contains($0) })
            isEmpty = x.allSatisfy(y.contains)
        case (.numberSet(let x), .numberSet(let y)):
            remaining = .numberSet(x.filter { !y.contains($0) })
            isEmpty = x.allSatisfy(y.contains)
        case (.binarySet(let x), .binarySet(let y)):
            remaining = .binarySet(x.filter { !y.contains($0) })
            isEmpty = x.allSatisfy(y.contains)
        default:
            throw wrongType
        }
        if isEmpty {
            try Self.remove(path, in: &item)
        } else {
            try Self.assign(remaining, at: path, in: &item)
        }
    }
}
