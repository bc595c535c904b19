@testable import AccessPolicy
import Testing

struct WildcardCase: Sendable, CustomTestStringConvertible {
    var pattern: String
    var text: String
    var matches: Bool
    var testDescription: String { "\(pattern) ~ \(text)" }
}

private func w(_ pattern: String, _ text: String, _ matches: Bool) -> WildcardCase {
    WildcardCase(pattern: pattern, text: text, matches: matches)
}

let wildcardCases: [WildcardCase] = [
    w("", "", true), w("", "a", false), w("*", "", true), w("*", "anything/at:all", true),
    w("?", "", false), w("?", "a", true), w("?", "ab", false), w("?", "é", true), w("?", "😀", true),
    w("??", "é", false), w("a?c", "abc", true), w("a?c", "ac", false), w("a?c", "aéc", true),
    w("abc", "abc", true), w("abc", "abd", false), w("abc", "ab", false), w("abc", "abcd", false),
    w("a*", "a", true), w("a*", "abc", true), w("a*", "ba", false), w("*a", "ba", true), w("*a", "ab", false),
    w("a*a", "a", false), w("a*a", "aa", true), w("a*a", "aba", true), w("a*b*c", "abc", true),
    w("a*b*c", "acb", false), w("a*b*c", "a-b-b-c", true), w("**", "x", true), w("*?*", "", false),
    w("*?*", "x", true), w("*.jpg", "a.jpg.png", false), w("*.jpg", "a.png.jpg", true),
    w("home/*/docs/*", "home/alice/docs/x", true), w("home/*/docs/*", "home/docs/x", false),
    w("*ab*ab*", "abab", true), w("*ab*ab*", "aba", false), w("*aab", "aaab", true), w("*abab", "ababab", true),
    w("*aaab*", "aabaaab", true), w("*a?a*", "abba", false), w("*a?a*", "xabay", true),
    w("*?é", "xé", true), w("é*é", "é", false), w("A*", "a", false),
]

@Suite struct WildcardTests {
    @Test(arguments: wildcardCases)
    func matches(_ row: WildcardCase) {
        #expect(WildcardPattern(row.pattern).matches(row.text) == row.matches)
    }

    /// Checks the matcher against a plain backtracking reference on every short pattern and text over a small
    /// alphabet.
    @Test func agreesWithReference() {
        let alphabet: [Character] = ["a", "b", "*", "?"]
        func strings(_ letters: [Character], upTo length: Int) -> [String] {
            var all = [""]
            var frontier = [""]
            for _ in 0..<length {
                frontier = frontier.flatMap { prefix in letters.map { prefix + String($0) } }
                all += frontier
            }
            return all
        }
        let patterns = strings(alphabet, upTo: 4)
        let texts = strings(["a", "b"], upTo: 5)
        for pattern in patterns {
            let compiled = WildcardPattern(pattern)
            for text in texts {
                #expect(compiled.matches(text) == reference(Array(pattern), Array(text)), "\(pattern) ~ \(text)")
            }
        }
    }

    @Test func literalTokensAreNotWildcards() {
        let pattern = WildcardPattern(tokens: [.text(Array("a*".utf8)), .star, .text(Array("?".utf8))])
        #expect(pattern.matches("a*xyz?"))
        #expect(!pattern.matches("abc?"))
        #expect(!pattern.matches("a*xyz!"))
    }

    /// The classic blow-up for backtracking matchers: `*a*a*a…b` against `aaaa…`. The work counted is linear.
    @Test func adversarialStarsAreLinear() {
        let pattern = String(repeating: "*a", count: 10_000) + "*b"
        #expect(pattern.utf8.count > 20_000)
        let text = Array(String(repeating: "a", count: 1024).utf8)
        var steps = 0
        #expect(!WildcardPattern(pattern).matches(text, steps: &steps))
        #expect(steps <= 4 * (text.count + pattern.utf8.count), "\(steps) steps")

        let matching = String(repeating: "*a", count: 512) + "*"
        steps = 0
        #expect(WildcardPattern(matching).matches(text, steps: &steps))
        #expect(steps <= 4 * (text.count + matching.utf8.count), "\(steps) steps")
    }

    /// Long runs between stars that almost match everywhere: KMP keeps it linear.
    @Test func adversarialRunsAreLinear() {
        let run = String(repeating: "a", count: 500) + "b"
        let pattern = "*" + run + "*" + run + "*"
        let text = Array(String(repeating: "a", count: 1024).utf8)
        var steps = 0
        #expect(!WildcardPattern(pattern).matches(text, steps: &steps))
        #expect(steps <= 4 * (text.count + pattern.utf8.count), "\(steps) steps")
    }

    /// A run with `?` is tried at each start, so it costs at most its length per start: bounded by text × run,
    /// never exponential.
    @Test func questionMarkRunsAreBounded() {
        let run = String(repeating: "a?", count: 250) + "b"
        let pattern = "*" + run + "*"
        let text = Array(String(repeating: "a", count: 1024).utf8)
        var steps = 0
        #expect(!WildcardPattern(pattern).matches(text, steps: &steps))
        #expect(steps <= text.count * run.utf8.count + text.count, "\(steps) steps")
    }

    /// A 20 KB resource pattern of stars against a 1 KB key, through the whole policy path (the matcher's step count is
    /// bounded by `adversarialStarsAreLinear`).
    @Test func hugeResourcePatternIsAnswered() throws {
        let key = String(repeating: "a", count: 1000)
        let resource = "arn:aws:s3:::bkt/" + String(repeating: "*a", count: 9_000) + "*b"
        let policy = try Fixtures.policy(Fixtures.document(Fixtures.statement(resource: "\"\(resource)\"")))
        let request = PolicyRequest(principal: nil, action: "s3:GetObject", resource: Fixtures.object(key))
        #expect(policy.evaluate(request) == .notApplicable)
    }
}

/// Backtracking glob matching, exponential but obviously right, for short inputs only.
private func reference(_ pattern: [Character], _ text: [Character]) -> Bool {
    guard let first = pattern.first else { return text.isEmpty }
    switch first {
    case "*":
        return (0...text.count).contains { reference(Array(pattern.dropFirst()), Array(text.dropFirst($0))) }
    case "?":
        return !text.isEmpty && reference(Array(pattern.dropFirst()), Array(text.dropFirst()))
    default:
        return text.first == first && reference(Array(pattern.dropFirst()), Array(text.dropFirst()))
    }
}
