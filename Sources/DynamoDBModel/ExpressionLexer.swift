import AWSJSON

/// One token of a condition, update, projection or key condition expression, with where it came from, so syntax
/// errors can quote the text around it as DynamoDB does.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        /// A bare word: an attribute name, a keyword (matched case-insensitively) or a function name.
        case identifier
        /// `#name`: an ExpressionAttributeNames placeholder.
        case namePlaceholder
        /// `:value`: an ExpressionAttributeValues placeholder.
        case valuePlaceholder
        /// Digits, only meaningful as a list index.
        case integer
        /// `( ) [ ] , . = <> < <= > >= + -`
        case symbol
        /// A character no token starts with; the parser reports it as the offending token.
        case invalid
    }

    var kind: Kind
    var text: String
    /// UTF-8 offsets into the expression.
    var start: Int
    var end: Int

    func isKeyword(_ word: String) -> Bool {
        kind == .identifier && text.uppercased() == word
    }

    func isSymbol(_ symbol: String) -> Bool {
        kind == .symbol && text == symbol
    }
}

enum ExpressionLexer {
    static func isWordStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }

    static func isWordPart(_ byte: UInt8) -> Bool {
        isWordStart(byte) || (byte >= 48 && byte <= 57)
    }

    static func tokens(_ text: String) -> [ExpressionToken] {
        let bytes = Array(text.utf8)
        var tokens: [ExpressionToken] = []
        var index = 0
        func add(_ kind: ExpressionToken.Kind, _ start: Int, _ end: Int) {
            tokens.append(ExpressionToken(kind: kind, text: String(decoding: bytes[start..<end], as: UTF8.self), start: start, end: end))
        }
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            switch byte {
            case 32, 9, 10, 13:
                index += 1
            case _ where isWordStart(byte):
                while index < bytes.count, isWordPart(bytes[index]) { index += 1 }
                add(.identifier, start, index)
            case 48...57:
                while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
                add(.integer, start, index)
            case UInt8(ascii: "#"), UInt8(ascii: ":"):
                index += 1
                while index < bytes.count, isWordPart(bytes[index]) { index += 1 }
                if index == start + 1 {
                    add(.invalid, start, index)
                } else {
                    add(byte == UInt8(ascii: "#") ? .namePlaceholder : .valuePlaceholder, start, index)
                }
            case UInt8(ascii: "<"):
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "=") || bytes[index] == UInt8(ascii: ">") { index += 1 }
                add(.symbol, start, index)
            case UInt8(ascii: ">"):
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "=") { index += 1 }
                add(.symbol, start, index)
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","),
                 UInt8(ascii: "."), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"):
                index += 1
                add(.symbol, start, index)
            default:
                // One whole character (not one byte of it), so the message quotes it intact.
                index += 1
                while index < bytes.count, bytes[index] & 0xC0 == 0x80 { index += 1 }
                add(.invalid, start, index)
            }
        }
        return tokens
    }
}

/// A cursor over an expression's tokens, shared by the expression parsers, with DynamoDB's syntax error message:
/// the offending token and the text from the token before it to the token after it.
struct TokenCursor {
    let text: String
    let bytes: [UInt8]
    let tokens: [ExpressionToken]
    /// `Invalid ConditionExpression: ` and the like, in front of every message about the expression.
    let prefix: String
    var position = 0

    init(_ text: String, parameter: String) {
        self.text = text
        bytes = Array(text.utf8)
        tokens = ExpressionLexer.tokens(text)
        prefix = "Invalid \(parameter): "
    }

    var current: ExpressionToken? { position < tokens.count ? tokens[position] : nil }
    var atEnd: Bool { position >= tokens.count }

    func peek(_ offset: Int = 0) -> ExpressionToken? {
        position + offset < tokens.count ? tokens[position + offset] : nil
    }

    mutating func advance() { position += 1 }

    func isSymbol(_ symbol: String) -> Bool { current?.isSymbol(symbol) ?? false }

    func isKeyword(_ word: String) -> Bool { current?.isKeyword(word) ?? false }

    mutating func expectSymbol(_ symbol: String) throws(AWSJSONError) {
        guard isSymbol(symbol) else { throw syntaxError() }
        advance()
    }

    func error(_ message: String) -> AWSJSONError { .validation(prefix + message) }

    func syntaxError() -> AWSJSONError {
        let start = position > 0 ? tokens[position - 1].start : (current?.start ?? 0)
        let end: Int
        if position + 1 < tokens.count {
            end = tokens[position + 1].end
        } else if position < tokens.count {
            end = tokens[position].end
        } else {
            end = bytes.count
        }
        let near = String(decoding: bytes[min(start, end)..<end], as: UTF8.self)
        return error("Syntax error; token: \"\(current?.text ?? "<EOF>")\", near: \"\(near)\"")
    }
}

extension TokenCursor {
    /// A document path: `name ('.' name | '[' digits ']')*`, each name bare or a `#placeholder`. `keywords` are the
    /// words of the expression's grammar, which cannot be bare names.
    mutating func parsePath(keywords: Set<String>) throws(AWSJSONError) -> [ConditionParser.RawElement] {
        var elements = [try parsePathName(keywords: keywords)]
        while true {
            if isSymbol(".") {
                advance()
                elements.append(try parsePathName(keywords: keywords))
            } else if isSymbol("[") {
                advance()
                guard let token = current, token.kind == .integer else { throw syntaxError() }
                advance()
                try expectSymbol("]")
                // Clamped: an index this large is past the end of any list DynamoDB can store.
                elements.append(.index(token.text.count > 9 ? 999_999_999 : Int(token.text)!))
            } else {
                return elements
            }
        }
    }

    mutating func parsePathName(keywords: Set<String>) throws(AWSJSONError) -> ConditionParser.RawElement {
        guard let token = current else { throw syntaxError() }
        switch token.kind {
        case .identifier where !keywords.contains(token.text.uppercased()):
            advance()
            return .name(token.text)
        case .namePlaceholder:
            advance()
            return .placeholder(token.text)
        default:
            throw syntaxError()
        }
    }
}
