/// Counts every request that did not end as the scenario expected, by kind ("PutObject: HTTP 503"), and keeps the
/// first one with its response body: the `errors`, `error_kinds` and `first_error` fields.
final class ErrorTally: Sendable {
    private struct State {
        var count: Int64 = 0
        var kinds: [String: Int64] = [:]
        var first: String?
    }

    private let state = Locked(State())

    func add(kind: String, detail: String) {
        let isFirst = state.withLock { s -> Bool in
            s.count += 1
            s.kinds[kind, default: 0] += 1
            guard s.first == nil else { return false }
            s.first = detail
            return true
        }
        if isFirst { Log.error("first error: " + detail) }
    }

    var count: Int64 { state.withLock { $0.count } }

    /// True when the request succeeded with one of `ok` (any 2xx when `ok` is empty); otherwise counts an error.
    @discardableResult
    func check(_ what: String, _ outcome: Result<S3Response, Error>, ok: [Int] = []) -> Bool {
        switch outcome {
        case .failure(let error):
            add(kind: what + ": transport", detail: "\(what): \(error)")
            return false
        case .success(let response):
            if ok.isEmpty ? (200..<300).contains(response.status) : ok.contains(response.status) { return true }
            add(kind: "\(what): HTTP \(response.status)",
                detail: "\(what): HTTP \(response.status): \(response.bodyText(limit: 800))")
            return false
        }
    }

    func report(into o: inout JSONObject) {
        let s = state.current
        o.add("errors", s.count)
        if !s.kinds.isEmpty { o.add("error_kinds", s.kinds) }
        if let first = s.first { o.add("first_error", first) }
    }
}
