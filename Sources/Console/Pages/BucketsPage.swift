import FrontDoors
import Store

/// `/_lockstep/console/`: the signed-in account's buckets (what ListBuckets shows them) with their configuration and size.
struct BucketsPage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession

    struct Row: Codable {
        var name: String
        var owner: String
        var region: String
        var created: String
        /// nil where the user may not read that configuration through S3.
        var versioning: String?
        var encryption: String?
        var objectLock: String?
        var lifecycle: String?
        var logging: String?
        var statistics: BucketStatistics?
    }

    func rows() async -> [Row] {
        let store = console.s3.store
        guard let buckets = try? await store.listBuckets(owner: session.identity.account.id, prefix: nil, startAfter: nil, limit: 10_000)
        else { return [] }
        var rows: [Row] = []
        for bucket in buckets {
            let configuration = bucket.configuration
            // Counting needs ListBucket, as it would through S3; a user denied it sees the bucket without its size.
            let mayList = await console.permits(session, .get, s3Path(bucket.name))
            func may(_ subresource: String) async -> Bool { await console.permits(session, .get, s3Path(bucket.name) + "?" + subresource) }
            rows.append(Row(name: bucket.name, owner: bucket.owner, region: bucket.region, created: ConsoleResponses.time(bucket.createdMillis),
                            versioning: await may("versioning") ? (bucket.versioning == .unversioned ? "Off" : bucket.versioning.rawValue) : nil,
                            encryption: await may("encryption") ? Self.describe(configuration.encryption ?? .default) : nil,
                            objectLock: await may("object-lock") ? Self.describe(configuration.objectLock) : nil,
                            lifecycle: await may("lifecycle") ? configuration.lifecycle.map { "\($0.rules.count) rule\($0.rules.count == 1 ? "" : "s")" } ?? "Off" : nil,
                            logging: await may("logging") ? configuration.logging.map { "→ \($0.targetBucket)/\($0.targetPrefix)" } ?? "Off" : nil,
                            statistics: mayList ? try? await store.statistics(bucket: bucket.name) : nil))
        }
        return rows
    }

    static func describe(_ encryption: BucketEncryption) -> String {
        let name = BucketPage.describe(encryption.algorithm)
        switch encryption.algorithm {
        case .sseKMS: return name + (encryption.kmsMasterKeyId.map { " (\($0))" } ?? " (aws/s3)")
        case .sseKMSDSSE: return name + (encryption.kmsMasterKeyId.map { " (\($0))" } ?? "")
        default: return name
        }
    }

    static func describe(_ lock: ObjectLockConfiguration?) -> String {
        guard let lock else { return "Off" }
        guard let retention = lock.defaultRetention else { return "On" }
        let period = retention.days.map { "\($0) days" } ?? retention.years.map { "\($0) years" } ?? ""
        return "On, \(retention.mode.rawValue) \(period)"
    }

    func response(api: Bool) async -> APIResponse {
        let rows = await rows()
        if api { return ConsoleResponses.json(["buckets": rows]) }
        var body = "<h1>Buckets</h1>"
        if rows.isEmpty {
            body += "<p class=\"muted\">No buckets in account \(HTML.escape(session.identity.account.id)) yet.</p>"
        } else {
            body += """
                <table id="buckets"><thead><tr><th>Name</th><th>Owner</th><th>Versioning</th><th>Default encryption</th>\
                <th>Object Lock</th><th>Lifecycle</th><th>Logging</th><th class="num">Objects</th><th class="num">Versions</th>\
                <th class="num">Size</th></tr></thead><tbody>
                """
            for row in rows {
                let stats = row.statistics
                body += """
                    <tr><td><a href="/_lockstep/console/b/\(HTML.urlComponent(row.name))">\(HTML.escape(row.name))</a></td>\
                    <td class="mono">\(HTML.escape(row.owner))</td><td>\(HTML.escape(row.versioning ?? "—"))</td>\
                    <td>\(HTML.escape(row.encryption ?? "—"))</td><td>\(HTML.escape(row.objectLock ?? "—"))</td><td>\(HTML.escape(row.lifecycle ?? "—"))</td>\
                    <td>\(HTML.escape(row.logging ?? "—"))</td><td class="num">\(stats.map { "\($0.objects)" } ?? "—")</td>\
                    <td class="num">\(stats.map { "\($0.versions)" } ?? "—")</td><td class="num">\(stats.map { HTML.bytes($0.bytes) } ?? "—")</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        return ConsoleResponses.page(title: "Buckets", session: session, active: "buckets", body: body)
    }
}
