import AWSJSON

/// The grammar of update expressions ("Using update expressions in DynamoDB"):
///
///     update    := section+                       each of SET, REMOVE, ADD, DELETE at most once, in any order
///     section   := SET path = value (, path = value)* | REMOVE path (, path)*
///                | ADD path :value (, path :value)* | DELETE path :value (, path :value)*
///     value     := '(' sum ')' | sum
///     sum       := operand [('+' | '-') operand]
///     operand   := '(' operand ')' | path | :value | if_not_exists(path, operand) | list_append(operand, operand)
///
/// As with conditions, a syntax pass builds a tree and a semantic pass resolves placeholders and reports the first
/// error of the kind DynamoDB ranks first.
enum UpdateParser {
    enum RawOperand {
        case path([ConditionParser.RawElement])
        case value(String)
        indirect case call(String, [RawOperand])
    }

    enum RawSetValue {
        case operand(RawOperand)
        case plus(RawOperand, RawOperand)
        case minus(RawOperand, RawOperand)
    }

    enum RawAction {
        case set([ConditionParser.RawElement], RawSetValue)
        case remove([ConditionParser.RawElement])
        case add([ConditionParser.RawElement], String)
        case delete([ConditionParser.RawElement], String)
    }

    static let keywords: Set<String> = ["SET", "REMOVE", "ADD", "DELETE"]

    static func parse(_ text: String, _ attributes: inout ExpressionAttributes) throws(AWSJSONError) -> UpdateExpression {
        var cursor = TokenCursor(text, parameter: "UpdateExpression")
        try ConditionParser.checkLength(text, cursor)
        var parser = Parser(cursor: cursor)
        let raw = try parser.parseSections()
        cursor = parser.cursor
        var checker = UpdateChecker(attributes: attributes, prefix: cursor.prefix)
        if let section = parser.repeatedSection {
            checker.record(.section, "The \"\(section)\" section can only be used once in an update expression;")
        }
        let actions = raw.map { checker.action($0) }
        try checker.errors.throwFirst()
        attributes = checker.attributes
        return UpdateExpression(actions: actions.map { $0! })
    }

    struct Parser {
        var cursor: TokenCursor
        var depth = 0
        var sections: Set<String> = []
        var repeatedSection: String?

        mutating func parseSections() throws(AWSJSONError) -> [RawAction] {
            var actions: [RawAction] = []
            repeat {
                guard let token = cursor.current, token.kind == .identifier, UpdateParser.keywords.contains(token.text.uppercased()) else {
                    throw cursor.syntaxError()
                }
                let section = token.text.uppercased()
                if sections.contains(section), repeatedSection == nil { repeatedSection = section }
                sections.insert(section)
                cursor.advance()
                repeat {
                    actions.append(try parseAction(section))
                    guard cursor.isSymbol(",") else { break }
                    cursor.advance()
                } while true
            } while !cursor.atEnd
            return actions
        }

        mutating func parseAction(_ section: String) throws(AWSJSONError) -> RawAction {
            let path = try cursor.parsePath(keywords: UpdateParser.keywords)
            switch section {
            case "SET":
                try cursor.expectSymbol("=")
                return .set(path, try parseSetValue())
            case "REMOVE":
                return .remove(path)
            default:
                guard let token = cursor.current, token.kind == .valuePlaceholder else { throw cursor.syntaxError() }
                cursor.advance()
                return section == "ADD" ? .add(path, token.text) : .delete(path, token.text)
            }
        }

        mutating func parseSetValue() throws(AWSJSONError) -> RawSetValue {
            // `(a + b)`: one pair of parentheses may enclose the whole sum; otherwise they belong to an operand.
            let start = cursor.position
            if cursor.isSymbol("(") {
                cursor.advance()
                if let sum = try? parseSum(), cursor.isSymbol(")") {
                    cursor.advance()
                    if case .operand = sum, startsArithmetic() {
                        // `(a) + b`: the parentheses were the first operand's.
                        cursor.position = start
                        return try parseSum()
                    }
                    return sum
                }
                cursor.position = start
            }
            return try parseSum()
        }

        func startsArithmetic() -> Bool { cursor.isSymbol("+") || cursor.isSymbol("-") }

        mutating func parseSum() throws(AWSJSONError) -> RawSetValue {
            let first = try parseOperandParens()
            if cursor.isSymbol("+") {
                cursor.advance()
                return .plus(first, try parseOperandParens())
            }
            if cursor.isSymbol("-") {
                cursor.advance()
                return .minus(first, try parseOperandParens())
            }
            return .operand(first)
        }

        mutating func enter() throws(AWSJSONError) {
            depth += 1
            if depth > ConditionParser.maxDepth {
                throw cursor.error("The expression has too many nested levels; the most allowed is \(ConditionParser.maxDepth)")
            }
        }

        mutating func parseOperandParens() throws(AWSJSONError) -> RawOperand {
            guard cursor.isSymbol("(") else { return try parseOperand() }
            cursor.advance()
            try enter()
            defer { depth -= 1 }
            let operand = try parseOperand()
            try cursor.expectSymbol(")")
            return operand
        }

        mutating func parseOperand() throws(AWSJSONError) -> RawOperand {
            guard let token = cursor.current else { throw cursor.syntaxError() }
            switch token.kind {
            case .valuePlaceholder:
                cursor.advance()
                return .value(token.text)
            case .identifier where cursor.peek(1)?.isSymbol("(") == true && !UpdateParser.keywords.contains(token.text.uppercased()):
                cursor.advance()
                cursor.advance()
                try enter()
                defer { depth -= 1 }
                var arguments = [try parseOperandParens()]
                while cursor.isSymbol(",") {
                    cursor.advance()
                    arguments.append(try parseOperandParens())
                }
                try cursor.expectSymbol(")")
                return .call(token.text, arguments)
            default:
                return .path(try cursor.parsePath(keywords: UpdateParser.keywords))
            }
        }
    }
}

/// Semantic checks of an update expression, DynamoDB's ranking of its errors.
struct UpdateChecker {
    enum Kind: Int, Comparable {
        case reserved, unknownFunction, section, name, value, overlap, conflict, operand, function

        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    var attributes: ExpressionAttributes
    var errors: ExpressionErrors<Kind>
    var targets: [DocumentPath] = []

    init(attributes: ExpressionAttributes, prefix: String) {
        self.attributes = attributes
        errors = ExpressionErrors(prefix: prefix)
    }

    mutating func record(_ kind: Kind, _ message: String) { errors.record(kind, message) }

    mutating func action(_ raw: UpdateParser.RawAction) -> UpdateExpression.Action? {
        switch raw {
        case .set(let elements, let value):
            let path = target(elements)
            let resolved = setValue(value)
            guard let path, let resolved else { return nil }
            return .set(path, resolved)
        case .remove(let elements):
            return target(elements).map { .remove($0) }
        case .add(let elements, let placeholder), .delete(let elements, let placeholder):
            let isAdd: Bool
            if case .add = raw { isAdd = true } else { isAdd = false }
            let path = target(elements)
            guard let value = resolveValue(placeholder) else { return nil }
            checkSetOperand(isAdd ? "ADD" : "DELETE", value)
            guard let path else { return nil }
            return isAdd ? .add(path, value) : .delete(path, value)
        }
    }

    /// ADD takes a number or a set, DELETE a set.
    mutating func checkSetOperand(_ operatorName: String, _ value: AttributeValue) {
        let name: String
        switch value {
        case .string: name = "STRING"
        case .number: name = "NUMBER"
        case .binary: name = "BINARY"
        case .null: name = "NULL"
        case .bool: name = "BOOLEAN"
        case .list: name = "LIST"
        case .map: name = "MAP"
        default: return
        }
        if operatorName == "ADD", name == "NUMBER" { return }
        record(.operand, "Incorrect operand type for operator or function; operator: \(operatorName), operand type: \(name)")
    }

    /// A path the update changes: it may not overlap or conflict with another changed path.
    mutating func target(_ elements: [ConditionParser.RawElement]) -> DocumentPath? {
        guard let path = resolvePath(elements) else { return nil }
        for earlier in targets {
            switch DocumentPath.relation(earlier, path) {
            case .overlap:
                record(.overlap, "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                       + "path one: \(earlier), path two: \(path)")
            case .conflict:
                record(.conflict, "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                       + "path one: \(earlier), path two: \(path)")
            case .independent:
                continue
            }
            break
        }
        targets.append(path)
        return path
    }

    mutating func resolvePath(_ elements: [ConditionParser.RawElement]) -> DocumentPath? {
        attributes.resolvePath(elements, errors: &errors, reserved: .reserved, undefined: .name)
    }

    mutating func resolveValue(_ placeholder: String) -> AttributeValue? {
        attributes.resolveValue(placeholder, errors: &errors, undefined: .value)
    }

    mutating func setValue(_ raw: UpdateParser.RawSetValue) -> UpdateExpression.SetValue? {
        switch raw {
        case .operand(let a):
            return operand(a).map { .operand($0) }
        case .plus(let a, let b), .minus(let a, let b):
            let name: String
            if case .plus = raw { name = "+" } else { name = "-" }
            let x = operand(a), y = operand(b)
            for case .value(let value)? in [x, y] where value.typeName != "N" {
                record(.function, "Incorrect operand type for operator or function; operator or function: \(name), operand type: \(value.typeName)")
                break
            }
            guard let x, let y else { return nil }
            return name == "+" ? .plus(x, y) : .minus(x, y)
        }
    }

    mutating func operand(_ raw: UpdateParser.RawOperand) -> UpdateExpression.Operand? {
        switch raw {
        case .value(let placeholder):
            return resolveValue(placeholder).map { .value($0) }
        case .path(let elements):
            return resolvePath(elements).map { .path($0) }
        case .call(let name, let arguments):
            let resolved = arguments.map { operand($0) }
            guard name == "if_not_exists" || name == "list_append" else {
                record(.unknownFunction, "Invalid function name; function: \(name)")
                return nil
            }
            guard arguments.count == 2 else {
                record(.function, "Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(arguments.count)")
                return nil
            }
            if name == "if_not_exists" {
                guard case .path = arguments[0] else {
                    record(.function, "Operator or function requires a document path; operator or function: \(name)")
                    return nil
                }
                guard case .path(let path)? = resolved[0], let fallback = resolved[1] else { return nil }
                return .ifNotExists(path, fallback)
            }
            for case .value(let value)? in resolved where value.typeName != "L" {
                record(.function, "Incorrect operand type for operator or function; operator or function: \(name), operand type: \(value.typeName)")
                break
            }
            guard let a = resolved[0], let b = resolved[1] else { return nil }
            return .listAppend(a, b)
        }
    }
}
