/// IAM's wildcards: `*` matches any run of characters (`/` and `:` included), `?` exactly one. Compiled once and
/// matched without backtracking: the head is anchored at the start, the tail at the end, and each run between stars
/// is found leftmost-first, which is enough for a glob because a later star absorbs whatever an earlier, leftmost
/// placement skipped. Runs without `?` are found with Knuth–Morris–Pratt, so the work is linear in text plus
/// pattern; a run holding `?` is tried at each start, at most its own length per start (so at most text × text for
/// S3's 1 KB keys, whatever the pattern's size).
struct WildcardPattern: Sendable, Equatable {
    /// One piece of a pattern being built; `text` bytes are literal even if they are `*` or `?` (a policy variable's
    /// value, `${*}`).
    enum Token: Equatable {
        case star
        case anyCharacter
        case text([UInt8])
    }

    /// The elements between two stars: a literal byte, or `anyCharacter` for `?`.
    struct Segment: Sendable, Equatable {
        static let anyCharacter: UInt16 = 0x100

        var elements: [UInt16]
        var hasAnyCharacter: Bool
        /// KMP failure function, for segments without `?`.
        var failure: [Int]

        init(_ elements: [UInt16]) {
            self.elements = elements
            hasAnyCharacter = elements.contains(Segment.anyCharacter)
            failure = hasAnyCharacter ? [] : Segment.failureFunction(elements)
        }

        static func failureFunction(_ elements: [UInt16]) -> [Int] {
            var failure = [Int](repeating: 0, count: elements.count)
            var k = 0
            var i = 1
            while i < elements.count {
                if elements[i] == elements[k] {
                    k += 1
                    failure[i] = k
                    i += 1
                } else if k > 0 {
                    k = failure[k - 1]
                } else {
                    failure[i] = 0
                    i += 1
                }
            }
            return failure
        }
    }

    /// Before the first star (or the whole pattern when there is none).
    private let head: Segment
    /// Between stars, empty ones dropped.
    private let middle: [Segment]
    /// After the last star; nil when the pattern has no star.
    private let tail: Segment?

    /// True when the pattern has no wildcard, so it matches only its own text.
    let isLiteral: Bool

    init(_ pattern: String) {
        var tokens: [Token] = []
        var text: [UInt8] = []
        for byte in pattern.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "?"):
                if !text.isEmpty {
                    tokens.append(.text(text))
                    text.removeAll(keepingCapacity: true)
                }
                tokens.append(byte == UInt8(ascii: "*") ? .star : .anyCharacter)
            default:
                text.append(byte)
            }
        }
        if !text.isEmpty { tokens.append(.text(text)) }
        self.init(tokens: tokens)
    }

    init(tokens: [Token]) {
        var segments: [[UInt16]] = [[]]
        for token in tokens {
            switch token {
            case .star: segments.append([])
            case .anyCharacter: segments[segments.count - 1].append(Segment.anyCharacter)
            case .text(let bytes): segments[segments.count - 1].append(contentsOf: bytes.lazy.map(UInt16.init))
            }
        }
        head = Segment(segments[0])
        if segments.count == 1 {
            middle = []
            tail = nil
        } else {
            middle = segments[1..<(segments.count - 1)].filter { !$0.isEmpty }.map(Segment.init)
            tail = Segment(segments[segments.count - 1])
        }
        isLiteral = tail == nil && !head.hasAnyCharacter
    }

    /// Whether a string is a wildcard pattern at all, for callers that keep plain strings plain.
    static func hasWildcard(_ text: String) -> Bool {
        text.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
    }

    func matches(_ text: String) -> Bool {
        var steps = 0
        return matches(Array(text.utf8), steps: &steps)
    }

    func matches(_ text: [UInt8]) -> Bool {
        var steps = 0
        return matches(text, steps: &steps)
    }

    /// `steps` counts element comparisons, so tests can bound the work without timing it.
    func matches(_ text: [UInt8], steps: inout Int) -> Bool {
        text.withUnsafeBufferPointer { matches($0, steps: &steps) }
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>, steps: inout Int) -> Bool {
        guard let tail else {
            return Self.matchForward(head, text, at: 0, limit: text.count, steps: &steps) == text.count
        }
        guard let start = Self.matchForward(head, text, at: 0, limit: text.count, steps: &steps),
              let end = Self.matchBackward(tail, text, endingAt: text.count, lowerBound: start, steps: &steps)
        else { return false }
        var position = start
        for segment in middle {
            guard let found = Self.find(segment, text, from: position, to: end, steps: &steps) else { return false }
            position = found
        }
        return true
    }

    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The length of the UTF-8 sequence a lead byte starts.
    private static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0..<0xC0: 1
        case 0xC0..<0xE0: 2
        case 0xE0..<0xF0: 3
        default: 4
        }
    }

    /// Where the segment ends when it starts at `position`, or nil.
    private static func matchForward(
        _ segment: Segment, _ text: UnsafeBufferPointer<UInt8>, at position: Int, limit: Int, steps: inout Int
    ) -> Int? {
        var index = position
        for element in segment.elements {
            steps += 1
            guard index < limit else { return nil }
            if element == Segment.anyCharacter {
                index += scalarLength(text[index])
                if index > limit { return nil }
            } else {
                guard UInt16(text[index]) == element else { return nil }
                index += 1
            }
        }
        return index
    }

    /// Where the segment starts when it ends at `end`, not before `lowerBound`, or nil.
    private static func matchBackward(
        _ segment: Segment, _ text: UnsafeBufferPointer<UInt8>, endingAt end: Int, lowerBound: Int, steps: inout Int
    ) -> Int? {
        var index = end
        for element in segment.elements.reversed() {
            steps += 1
            guard index > lowerBound else { return nil }
            index -= 1
            if element == Segment.anyCharacter {
                while index > lowerBound, isContinuation(text[index]) { index -= 1 }
            } else {
                guard UInt16(text[index]) == element else { return nil }
            }
        }
        return index
    }

    /// The end of the leftmost occurrence of the segment inside `from..<to`, or nil.
    private static func find(
        _ segment: Segment, _ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, steps: inout Int
    ) -> Int? {
        let elements = segment.elements
        if segment.hasAnyCharacter {
            var start = from
            while start < to {
                if !isContinuation(text[start]),
                   let end = matchForward(segment, text, at: start, limit: to, steps: &steps) {
                    return end
                }
                steps += 1
                start += 1
            }
            return nil
        }
        var matched = 0
        var index = from
        while index < to {
            steps += 1
            if UInt16(text[index]) == elements[matched] {
                matched += 1
                index += 1
                if matched == elements.count { return index }
            } else if matched > 0 {
                matched = segment.failure[matched - 1]
            } else {
                index += 1
            }
        }
        return nil
    }
}
