import Foundation
import FrontDoors

/// `/_lockstep/console/requests`: the latest requests, newest first, refreshed live — a Terraform apply shows up as its
/// lock, read, write and unlock. A user sees requests made from their own account and requests on their account's
/// buckets.
struct RequestsPage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession
    let bucket: String?
    let status: String?

    static let shown = 200

    struct Row: Codable {
        var time: String
        var service: String
        var operation: String
        var method: String
        var path: String
        var bucket: String?
        var key: String?
        var status: Int
        var errorCode: String?
        var requester: String?
        var requestId: String?
        var latencyMs: Double
    }

    func rows() async -> [Row] {
        let account = session.identity.account.id
        let owned = (try? await console.s3.store.listBuckets(owner: account, prefix: nil, startAfter: nil, limit: 10_000)) ?? []
        let ownBuckets = Set(owned.map(\.name))
        let bucketFilter = bucket.flatMap { $0.isEmpty ? nil : $0 }
        let statusFilter = status.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        var rows: [Row] = []
        for event in console.recentRequests.snapshot().reversed() {
            guard let summary = event.summary, summary.service != "console" else { continue }
            let mine = summary.requester.map { $0.hasPrefix("arn:aws:iam::\(account):") } ?? false
            let onMyBucket = summary.bucket.map { ownBuckets.contains($0) } ?? false
            guard mine || onMyBucket else { continue }
            if let bucketFilter, summary.bucket != bucketFilter { continue }
            if let statusFilter, !Self.matches(event.status, statusFilter) { continue }
            rows.append(Row(time: ConsoleResponses.time(event.receivedMillis), service: summary.service, operation: summary.operation,
                            method: event.method, path: event.path, bucket: summary.bucket, key: summary.key, status: event.status,
                            errorCode: summary.errorCode, requester: summary.requester, requestId: summary.requestId,
                            latencyMs: Double(event.latencyNanos) / 1_000_000))
            if rows.count == Self.shown { break }
        }
        return rows
    }

    /// `2xx`, `4xx`, `error` (≥ 400) or an exact status.
    static func matches(_ status: Int, _ filter: String) -> Bool {
        if filter == "error" { return status >= 400 }
        if filter.count == 3, filter.hasSuffix("xx"), let first = filter.first?.wholeNumberValue { return status / 100 == first }
        return Int(filter) == status
    }

    func response(api: Bool) async -> APIResponse {
        let rows = await rows()
        if api { return ConsoleResponses.json(["requests": rows]) }
        var query: [String] = []
        if let bucket, !bucket.isEmpty { query.append("bucket=" + HTML.urlComponent(bucket)) }
        if let status, !status.isEmpty { query.append("status=" + HTML.urlComponent(status)) }
        let source = "/_lockstep/console/api/requests" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let statuses = [("", "any status"), ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx"), ("error", "errors")]
        var body = """
            <h1>Requests</h1>
            <form method="get" action="/_lockstep/console/requests" id="request-filter">\
            <label for="bucket">Bucket</label> <input id="bucket" name="bucket" value="\(HTML.escape(bucket ?? ""))"> \
            <label for="status">Status</label> <select id="status" name="status">\
            \(statuses.map { "<option value=\"\($0.0)\"\($0.0 == (status ?? "") ? " selected" : "")>\($0.1)</option>" }.joined())</select> \
            <button type="submit">Filter</button></form>
            <p class="muted">The latest <span id="live-count">\(rows.count)</span> requests, newest first; refreshed every 2 seconds.</p>
            <table id="live-requests" data-source="\(HTML.escape(source))"><thead><tr><th>Time</th><th>Operation</th><th>Bucket</th>\
            <th>Key</th><th>Status</th><th>Error</th><th>Requester</th><th class="num">Latency (ms)</th></tr></thead><tbody>
            """
        for row in rows {
            body += """
                <tr><td class="mono">\(HTML.escape(row.time))</td><td>\(HTML.escape(row.operation))</td><td>\(HTML.escape(row.bucket ?? ""))</td>\
                <td class="mono">\(HTML.escape(row.key ?? ""))</td><td class="\(row.status >= 400 ? "error" : "")">\(row.status)</td>\
                <td>\(HTML.escape(row.errorCode ?? ""))</td><td class="mono">\(HTML.escape(row.requester ?? ""))</td>\
                <td class="num">\(String(format: "%.2f", row.latencyMs))</td></tr>
                """
        }
        body += "</tbody></table>"
        return ConsoleResponses.page(title: "Requests", session: session, active: "requests", body: body)
    }
}
