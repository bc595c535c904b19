import AWSJSON

/// The grammar of condition expressions ("Condition and filter expressions, operators, and functions"), shared by
/// ConditionExpression, FilterExpression and KeyConditionExpression:
///
///     condition  := or
///     or         := and (OR and)*
///     and        := not (AND not)*                      NOT binds tighter than AND, AND than OR
///     not        := NOT not | primary
///     primary    := '(' condition ')' | operand [comparator operand | BETWEEN operand AND operand | IN '(' operand, … ')']
///     operand    := path | :value | function '(' operand, … ')' | '(' operand ')'
///
/// A primary without an operator must be a function (attribute_exists(…), …). Parsing first builds a tree with
/// placeholders unresolved; a second pass resolves them and applies DynamoDB's semantic checks, reporting the first
/// error of the kind DynamoDB reports first, as it does.
enum ConditionParser {
    /// DynamoDB's limit on an expression's length, in bytes.
    static let maxExpressionBytes = 4096
    /// The most operands DynamoDB allows after IN.
    static let maxInOperands = 100
    /// Nesting of parentheses, NOT and function calls the parser follows before refusing the expression, so a hostile
    /// expression cannot exhaust the stack. Far beyond what the 4 KB limit leaves room for in a meaningful expression.
    static let maxDepth = 100

    enum RawElement { case name(String), placeholder(String), index(Int) }

    indirect enum RawOperand {
        case path([RawElement])
        case value(String)
        case call(String, [RawOperand])
    }

    indirect enum RawCondition {
        case compare(RawOperand, ConditionExpression.Comparator, RawOperand)
        case between(RawOperand, RawOperand, RawOperand)
        case within(RawOperand, [RawOperand])
        case and(RawCondition, RawCondition)
        case or(RawCondition, RawCondition)
        case not(RawCondition)
        case call(String, [RawOperand])
    }

    static func parse(_ text: String, _ attributes: inout ExpressionAttributes, parameter: String) throws(AWSJSONError) -> ConditionExpression {
        var parser = try makeParser(text, parameter: parameter)
        let raw = try parser.parseExpression()
        var checker = ConditionChecker(attributes: attributes, prefix: parser.cursor.prefix)
        if parser.redundantParentheses { checker.record(.parentheses, "The expression has redundant parentheses;") }
        let root = checker.condition(raw)
        try checker.errors.throwFirst()
        attributes = checker.attributes
        return ConditionExpression(root: root!, topLevelNames: checker.topLevelNames)
    }

    /// The length and emptiness checks every expression parameter has, then a parser over its tokens.
    static func makeParser(_ text: String, parameter: String) throws(AWSJSONError) -> Parser {
        let cursor = TokenCursor(text, parameter: parameter)
        try checkLength(text, cursor)
        return Parser(cursor: cursor)
    }

    static func checkLength(_ text: String, _ cursor: TokenCursor) throws(AWSJSONError) {
        if cursor.bytes.count > maxExpressionBytes {
            throw cursor.error("Expression size has exceeded the maximum allowed size; expression size: \(cursor.bytes.count)")
        }
        if cursor.tokens.isEmpty { throw cursor.error("The expression can not be empty;") }
    }

    struct Parser {
        var cursor: TokenCursor
        var depth = 0
        var redundantParentheses = false

        /// A parsed piece: a condition, or an operand still waiting for its operator (or, for a function, to be used
        /// as a condition itself). `parenthesized` notes that the piece was exactly one parenthesized group.
        enum Piece {
            case condition(RawCondition)
            case operand(RawOperand)
        }

        mutating func parseExpression() throws(AWSJSONError) -> RawCondition {
            let piece = try parseOr().piece
            guard cursor.atEnd else { throw cursor.syntaxError() }
            return try condition(piece)
        }

        /// A piece used where a condition is required: an operand is acceptable only as a function call.
        func condition(_ piece: Piece) throws(AWSJSONError) -> RawCondition {
            switch piece {
            case .condition(let condition): return condition
            case .operand(.call(let name, let arguments)): return .call(name, arguments)
            case .operand: throw cursor.syntaxError()
            }
        }

        mutating func parseOr() throws(AWSJSONError) -> (piece: Piece, parenthesized: Bool) {
            let first = try parseAnd()
            guard cursor.isKeyword("OR") else { return first }
            var terms = [try condition(first.piece)]
            while cursor.isKeyword("OR") {
                cursor.advance()
                terms.append(try condition(try parseAnd().piece))
            }
            return (.condition(Self.balanced(terms[...], RawCondition.or)), false)
        }

        mutating func parseAnd() throws(AWSJSONError) -> (piece: Piece, parenthesized: Bool) {
            let first = try parseNot()
            guard cursor.isKeyword("AND") else { return first }
            var terms = [try condition(first.piece)]
            while cursor.isKeyword("AND") {
                cursor.advance()
                terms.append(try condition(try parseNot().piece))
            }
            return (.condition(Self.balanced(terms[...], RawCondition.and)), false)
        }

        /// A chain `a AND b AND c …` as a balanced tree rather than a left-deep one: the same meaning (AND and OR are
        /// associative and conditions have no side effects), but depth log n, so the passes over the tree that recurse
        /// stay shallow however long the chain the 4 KB limit allows.
        static func balanced(_ terms: ArraySlice<RawCondition>, _ join: (RawCondition, RawCondition) -> RawCondition) -> RawCondition {
            if terms.count == 1 { return terms.first! }
            let middle = terms.startIndex + terms.count / 2
            return join(balanced(terms[..<middle], join), balanced(terms[middle...], join))
        }

        mutating func parseNot() throws(AWSJSONError) -> (piece: Piece, parenthesized: Bool) {
            guard cursor.isKeyword("NOT") else { return try parsePrimary() }
            cursor.advance()
            try enter()
            defer { depth -= 1 }
            return (.condition(.not(try condition(try parseNot().piece))), false)
        }

        mutating func enter() throws(AWSJSONError) {
            depth += 1
            if depth > ConditionParser.maxDepth {
                throw cursor.error("The expression has too many nested levels; the most allowed is \(ConditionParser.maxDepth)")
            }
        }

        mutating func parsePrimary() throws(AWSJSONError) -> (piece: Piece, parenthesized: Bool) {
            let left: RawOperand
            if cursor.isSymbol("(") {
                cursor.advance()
                try enter()
                let inner = try parseOr()
                depth -= 1
                try cursor.expectSymbol(")")
                if inner.parenthesized { redundantParentheses = true }
                guard case .operand(let operand) = inner.piece else { return (inner.piece, true) }
                guard startsOperator() else { return (.operand(operand), true) }
                left = operand
            } else {
                left = try parseOperand()
                guard startsOperator() else { return (.operand(left), false) }
            }
            return (.condition(try parseOperator(after: left)), false)
        }

        func startsOperator() -> Bool {
            guard let token = cursor.current else { return false }
            if token.kind == .symbol, ConditionExpression.Comparator(rawValue: token.text) != nil { return true }
            return token.isKeyword("BETWEEN") || token.isKeyword("IN")
        }

        mutating func parseOperator(after left: RawOperand) throws(AWSJSONError) -> RawCondition {
            let token = cursor.current!
            cursor.advance()
            if let comparator = ConditionExpression.Comparator(rawValue: token.text), token.kind == .symbol {
                return .compare(left, comparator, try parseOperandParens())
            }
            if token.isKeyword("BETWEEN") {
                let low = try parseOperandParens()
                guard cursor.isKeyword("AND") else { throw cursor.syntaxError() }
                cursor.advance()
                return .between(left, low, try parseOperandParens())
            }
            try cursor.expectSymbol("(")
            return .within(left, try parseArguments())
        }

        /// `operand (, operand)* )`, the closing parenthesis consumed.
        mutating func parseArguments() throws(AWSJSONError) -> [RawOperand] {
            try enter()
            defer { depth -= 1 }
            var arguments = [try parseOperandParens()]
            while cursor.isSymbol(",") {
                cursor.advance()
                arguments.append(try parseOperandParens())
            }
            try cursor.expectSymbol(")")
            return arguments
        }

        mutating func parseOperandParens() throws(AWSJSONError) -> RawOperand {
            guard cursor.isSymbol("(") else { return try parseOperand() }
            cursor.advance()
            try enter()
            defer { depth -= 1 }
            if cursor.isSymbol("(") {
                let operand = try parseOperandParens()
                if cursor.isSymbol(")") { redundantParentheses = true }
                try cursor.expectSymbol(")")
                return operand
            }
            let operand = try parseOperand()
            try cursor.expectSymbol(")")
            return operand
        }

        static let keywords: Set<String> = ["AND", "OR", "NOT", "BETWEEN", "IN"]

        mutating func parseOperand() throws(AWSJSONError) -> RawOperand {
            guard let token = cursor.current else { throw cursor.syntaxError() }
            switch token.kind {
            case .valuePlaceholder:
                cursor.advance()
                return .value(token.text)
            case .identifier where !Self.keywords.contains(token.text.uppercased()):
                if cursor.peek(1)?.isSymbol("(") == true {
                    cursor.advance()
                    cursor.advance()
                    return .call(token.text, try parseArguments())
                }
                return .path(try parsePath())
            case .namePlaceholder:
                return .path(try parsePath())
            default:
                throw cursor.syntaxError()
            }
        }

        mutating func parsePath() throws(AWSJSONError) -> [ConditionParser.RawElement] {
            try cursor.parsePath(keywords: Self.keywords)
        }
    }
}

/// The semantic pass over a parsed condition: placeholders resolved, reserved words, function names, operand counts
/// and types checked. Errors are collected by kind and the first of the highest-ranking kind is reported, which is
/// how DynamoDB chooses among several problems in one expression.
struct ConditionChecker {
    enum Kind: Int, Comparable {
        case parentheses, unknownFunction, misusedFunction, reserved, placeholder, operandCount, distinct, function

        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    var attributes: ExpressionAttributes
    var errors: ExpressionErrors<Kind>
    var topLevelNames: Set<String> = []
    /// Every path the expression reads, for checks of key conditions.
    var paths: [DocumentPath] = []

    init(attributes: ExpressionAttributes, prefix: String) {
        self.attributes = attributes
        errors = ExpressionErrors(prefix: prefix)
    }

    mutating func record(_ kind: Kind, _ message: String) { errors.record(kind, message) }

    typealias Node = ConditionExpression.Node
    typealias Operand = ConditionExpression.Operand

    mutating func condition(_ raw: ConditionParser.RawCondition) -> Node? {
        switch raw {
        case .and(let a, let b):
            let x = condition(a), y = condition(b)
            guard let x, let y else { return nil }
            return .and(x, y)
        case .or(let a, let b):
            let x = condition(a), y = condition(b)
            guard let x, let y else { return nil }
            return .or(x, y)
        case .not(let a):
            return condition(a).map { .not($0) }
        case .compare(let a, let comparator, let b):
            checkMisused([a, b])
            let x = operand(a), y = operand(b)
            checkDistinct(comparator.rawValue, [a, b], [x, y])
            guard let x, let y else { return nil }
            return .compare(x, comparator, y)
        case .between(let a, let low, let high):
            checkMisused([a, low, high])
            let x = operand(a), lowOperand = operand(low), highOperand = operand(high)
            if case .value(let lowValue)? = lowOperand, case .value(let highValue)? = highOperand { checkBounds(lowValue, highValue) }
            guard let x, let lowOperand, let highOperand else { return nil }
            return .between(x, lowOperand, highOperand)
        case .within(let a, let candidates):
            checkMisused([a] + candidates)
            let x = operand(a)
            let resolved = candidates.map { operand($0) }
            if candidates.count > ConditionParser.maxInOperands {
                record(.operandCount, "Incorrect number of operands for operator or function; operator or function: IN, number of operands: \(candidates.count + 1)")
            }
            guard let x, !resolved.contains(where: { $0 == nil }) else { return nil }
            return .within(x, resolved.map { $0! })
        case .call(let name, let arguments):
            if name == "size" { record(.misusedFunction, "The function is not allowed to be used this way in an expression; function: size") }
            return function(name, arguments)
        }
    }

    /// Functions other than size() yield a condition, not a value, and cannot be operands.
    mutating func checkMisused(_ operands: [ConditionParser.RawOperand]) {
        for case .call(let name, _) in operands where name != "size" {
            record(.misusedFunction, "The function is not allowed to be used this way in an expression; function: \(name)")
        }
    }

    /// `a = a`, `begins_with(a, a)`: DynamoDB refuses an operator whose first two operands are the same path.
    mutating func checkDistinct(_ name: String, _ raw: [ConditionParser.RawOperand], _ resolved: [Operand?]) {
        guard raw.count == 2, case .path(let a)? = resolved[0], case .path(let b)? = resolved[1], a == b else { return }
        record(.distinct, "The first operand must be distinct from the remaining operands for this operator or function; "
               + "operator: \(name), first operand: \(a)")
    }

    mutating func checkBounds(_ low: AttributeValue, _ high: AttributeValue) {
        let bounds = "lower bound operand: AttributeValue: {\(Self.render(low))}, upper bound operand: AttributeValue: {\(Self.render(high))}"
        if low.typeName != high.typeName {
            record(.function, "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds)
        } else if AttributeValue.compare(low, high) == .orderedDescending {
            record(.function, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; " + bounds)
        }
    }

    /// `N:5`, `S:abc`: how DynamoDB quotes a value in BETWEEN messages.
    static func render(_ value: AttributeValue) -> String {
        switch value {
        case .string(let text): "S:\(text)"
        case .number(let number): "N:\(number)"
        case .binary(let bytes): "B:\(bytes)"
        case .bool(let flag): "BOOL:\(flag)"
        case .null: "NULL:true"
        default: value.typeName
        }
    }

    /// The type an operand is known to have before evaluation: a value's type, N for size(); nil for a path.
    static func staticType(_ operand: Operand?) -> String? {
        switch operand {
        case .value(let value)?: value.typeName
        case .size?: "N"
        default: nil
        }
    }

    static let arity = ["attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2, "size": 1]

    /// A function call: as a condition (returned as a node) or, for size(), as an operand via `operand(_:)`.
    mutating func function(_ name: String, _ raw: [ConditionParser.RawOperand]) -> Node? {
        checkMisused(raw)
        let arguments = raw.map { operand($0) }
        guard checkCall(name, raw, arguments) else { return nil }
        guard !arguments.contains(where: { $0 == nil }) else { return nil }
        let resolved = arguments.map { $0! }
        switch name {
        case "attribute_exists":
            guard case .path(let path) = resolved[0] else { return nil }
            return .attributeExists(path)
        case "attribute_not_exists":
            guard case .path(let path) = resolved[0] else { return nil }
            return .attributeNotExists(path)
        case "attribute_type": return .attributeType(resolved[0], resolved[1])
        case "begins_with": return .beginsWith(resolved[0], resolved[1])
        case "contains": return .contains(resolved[0], resolved[1])
        default: return nil // size: reported as misused by the caller
        }
    }

    /// DynamoDB's checks of a call's name, operand count and operand types; false when the call cannot be built.
    mutating func checkCall(_ name: String, _ raw: [ConditionParser.RawOperand], _ arguments: [Operand?]) -> Bool {
        guard let count = Self.arity[name] else {
            record(.unknownFunction, "Invalid function name; function: \(name)")
            return false
        }
        guard count == arguments.count else {
            record(.operandCount, "Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(arguments.count)")
            return false
        }
        checkDistinct(name, raw, arguments)
        func wrongType(_ type: String) -> Bool {
            record(.function, "Incorrect operand type for operator or function; operator or function: \(name), operand type: \(type)")
            return false
        }
        switch name {
        case "attribute_exists", "attribute_not_exists":
            guard case .path = raw[0] else {
                record(.function, "Operator or function requires a document path; operator or function: \(name)")
                return false
            }
        case "begins_with":
            for argument in arguments {
                if let type = Self.staticType(argument), type != "S", type != "B" { return wrongType(type) }
            }
        case "attribute_type":
            guard case .value(let value)? = arguments[1] else {
                return wrongType(Self.staticType(arguments[1]) ?? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
            }
            guard case .string(let typeName) = value else { return wrongType(value.typeName) }
            if !AttributeValueJSONTypes.all.contains(typeName) {
                record(.function, "Invalid attribute type name found; type: \(typeName), valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
                return false
            }
        case "size":
            if let type = Self.staticType(arguments[0]), ["N", "BOOL", "NULL"].contains(type) { return wrongType(type) }
        default:
            break
        }
        return true
    }

    mutating func operand(_ raw: ConditionParser.RawOperand) -> Operand? {
        switch raw {
        case .value(let placeholder):
            return attributes.resolveValue(placeholder, errors: &errors, undefined: .placeholder).map { .value($0) }
        case .path(let elements):
            guard let path = resolvePath(elements) else { return nil }
            topLevelNames.insert(path.topLevelName)
            paths.append(path)
            return .path(path)
        case .call(let name, let arguments):
            checkMisused(arguments)
            let resolved = arguments.map { operand($0) }
            guard name == "size" || Self.arity[name] == nil else {
                // A condition function as an operand: reported by checkMisused; its arguments are still checked.
                _ = checkCall(name, arguments, resolved)
                return nil
            }
            guard checkCall(name, arguments, resolved), let inner = resolved[0] else { return nil }
            return .size(inner)
        }
    }

    mutating func resolvePath(_ elements: [ConditionParser.RawElement]) -> DocumentPath? {
        attributes.resolvePath(elements, errors: &errors, reserved: .reserved, undefined: .placeholder)
    }
}

/// The type names attribute_type() accepts.
enum AttributeValueJSONTypes {
    static let all: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]
}
