import AWSJSON
import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import S3API
import Store

/// `/_lockstep/console/b/<bucket>/state/<key>`: a Terraform state's history (serial, lineage, Terraform version per
/// version), a diff between any two versions, the lock (`<key>.tflock`, and a DynamoDB lock item if a table holds
/// one), and two actions: force-unlock and restore a version as the current one.
struct StatePage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession
    let bucket: String
    let key: String
    let from: String?
    let to: String?
    let notice: String?

    static let maxVersions = 1000
    /// A state version larger than this is listed but not read: no object can make a page hold more.
    static let maxStateBytes = 16 << 20

    struct Version: Codable {
        var versionId: String
        var isLatest: Bool
        var isDeleteMarker: Bool
        var lastModified: String
        var size: Int64
        var serial: Int?
        var lineage: String?
        var terraformVersion: String?
        /// Why the version's contents are not shown (AccessDenied, not a state file, archived …).
        var unreadable: String?
    }

    struct Lock: Codable {
        var held: Bool
        /// Set when whether the lock is held cannot be known (the user may not read it, or the read failed): the
        /// page says so and refuses to restore, rather than reporting the state unlocked.
        var unknown: String?
        var info: TerraformLockInfo?
        var etag: String?
        var ageSeconds: Int64?
        /// The DynamoDB lock item for this state, if a lock table holds one: its table and Info.
        var dynamoDBTable: String?
        var dynamoDBInfo: TerraformLockInfo?
    }

    struct Model: Codable {
        var bucket: String
        var key: String
        var versions: [Version]
        var diffFrom: String?
        var diffTo: String?
        var diff: StateDiff?
        var lock: Lock
    }

    func model() async -> Model {
        var versions: [Version] = []
        var states: [String: TerraformState] = [:]
        var keyMarker: String?
        var versionIdMarker: String?
        listing: while versions.count < Self.maxVersions {
            guard let page = try? await console.s3.store.listVersions(bucket: bucket, prefix: key, delimiter: nil, keyMarker: keyMarker,
                                                                      versionIdMarker: versionIdMarker, maxKeys: 200) else { break }
            for listed in page.versions {
                guard listed.key == key else { break listing }
                var version = Version(versionId: listed.versionId, isLatest: listed.isLatest, isDeleteMarker: listed.isDeleteMarker,
                                      lastModified: ConsoleResponses.time(listed.lastModifiedMillis), size: listed.size)
                if !listed.isDeleteMarker {
                    switch await read(versionId: listed.versionId) {
                    case .success(let state):
                        states[listed.versionId] = state
                        version.serial = state.serial
                        version.lineage = state.lineage
                        version.terraformVersion = state.terraformVersion
                    case .failure(let why):
                        version.unreadable = why.reason
                    }
                }
                versions.append(version)
            }
            guard page.isTruncated else { break }
            keyMarker = page.nextKeyMarker
            versionIdMarker = page.nextVersionIdMarker
        }
        // By default: what the latest write changed.
        let readable = versions.filter { states[$0.versionId] != nil }
        let toId = to ?? readable.first?.versionId
        let fromId = from ?? readable.dropFirst().first?.versionId
        var diff: StateDiff?
        if let toId, let fromId, states[toId] != nil, states[fromId] != nil,
           case .success(let new) = await read(versionId: toId, details: true),
           case .success(let old) = await read(versionId: fromId, details: true) {
            diff = StateDiff(from: old, to: new)
        }
        return Model(bucket: bucket, key: key, versions: versions, diffFrom: fromId, diffTo: toId, diff: diff, lock: await lock())
    }

    struct Unreadable: Error { let reason: String }

    /// The version's header (cached: a version's bytes never change) or, with `details`, all of it (read again).
    func read(versionId: String, details: Bool = false) async -> Result<TerraformState, Unreadable> {
        let cacheKey = StateCache.key(bucket, key, versionId)
        let target = s3Path(bucket, key) + "?versionId=" + HTML.urlComponent(versionId)
        if !details, let cached = console.stateCache.state(cacheKey) {
            return await console.permits(session, .get, target) ? .success(cached) : .failure(Unreadable(reason: "AccessDenied"))
        }
        let response = await console.request(.get, target, session: session, limit: Self.maxStateBytes)
        if response.tooLarge { return .failure(Unreadable(reason: "larger than \(Self.maxStateBytes >> 20) MiB, not shown")) }
        guard response.status == 200 else {
            return .failure(Unreadable(reason: Self.errorCode(response.body) ?? "HTTP \(response.status)"))
        }
        guard let state = TerraformState(bytes: response.body, details: details) else {
            return .failure(Unreadable(reason: "not a JSON state file"))
        }
        if !details { console.stateCache.store(state, cacheKey) }
        return .success(state)
    }

    static func errorCode(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<Code>"), let end = text.range(of: "</Code>"), start.upperBound <= end.lowerBound else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// The `.tflock` object and, with `dynamoDB`, Terraform's DynamoDB lock item for this state.
    func lock(dynamoDB: Bool = true) async -> Lock {
        var lock = Lock(held: false)
        let response = await console.request(.get, s3Path(bucket, key + ".tflock"), session: session, limit: 64 << 10)
        if response.status == 404, Self.errorCode(response.body) == "NoSuchKey" {
            // Free: no lock object, or a delete marker in its place.
        } else if response.status != 200 || response.tooLarge {
            lock.unknown = response.tooLarge ? "the lock object is too large to be Terraform's" : Self.errorCode(response.body) ?? "HTTP \(response.status)"
        } else {
            lock.held = true
            lock.info = TerraformLockInfo(bytes: response.body)
            lock.etag = response.header("ETag")
            if let created = lock.info?.created, let millis = Self.parseCreated(created) {
                // Terraform stamps the lock with real time, so its age is counted in real time, not on the store clock.
                lock.ageSeconds = max(0, (ConsoleSessions.nowMillis() - millis) / 1000)
            }
        }
        if dynamoDB, let (table, info) = await dynamoDBLock() {
            lock.dynamoDBTable = table
            lock.dynamoDBInfo = info
        }
        return lock
    }

    /// Terraform's `Created` is Go's time.Time in RFC 3339 with nanoseconds (`2026-12-05T10:00:00.123456789Z`).
    static func parseCreated(_ text: String) -> Int64? {
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let fraction = text[text.index(after: dot)..<zone].prefix(3)
            trimmed = String(text[..<dot]) + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0) + text[zone...]
        }
        return ISO8601Date.parse(trimmed) ?? ISO8601Date.parse(text)
    }

    /// Terraform's DynamoDB lock item is `LockID = "<bucket>/<key>"` in whichever table the backend names; the console
    /// looks in every table whose key is `LockID`.
    func dynamoDBLock() async -> (String, TerraformLockInfo?)? {
        guard let dynamodb = console.dynamodb else { return nil }
        var names: [String] = []
        var start: String?
        repeat {
            var members: [String: JSONValue] = ["Limit": .int(100)]
            if let start { members["ExclusiveStartTableName"] = .string(start) }
            guard let listed = try? await dynamodb.run("ListTables", JSONMembers(members: members)),
                  case .array(let page)? = listed["TableNames"] else { break }
            for case .string(let name) in page { names.append(name) }
            if case .string(let last)? = listed["LastEvaluatedTableName"] { start = last } else { start = nil }
        } while start != nil
        for table in names {
            let request = JSONMembers(members: ["TableName": .string(table),
                                                "Key": .object(["LockID": .object(["S": .string("\(bucket)/\(key)")])])])
            guard let answer = try? await dynamodb.run("GetItem", request), case .object(let item)? = answer["Item"] else { continue }
            var info: TerraformLockInfo?
            if case .object(let attribute)? = item["Info"], case .string(let text)? = attribute["S"] {
                info = TerraformLockInfo(bytes: Array(text.utf8))
            }
            return (table, info)
        }
        return nil
    }

    func response(api: Bool) async -> APIResponse {
        guard (try? await console.s3.store.bucket(named: bucket)) != nil else {
            if api { return ConsoleResponses.json(["error": "NoSuchBucket", "bucket": bucket], status: .notFound) }
            return ConsoleResponses.page(status: .notFound, title: key, session: session, body: "<p class=\"error\">There is no such bucket.</p>")
        }
        // A state's history is a version listing: it needs ListBucketVersions, as through S3.
        guard await console.permits(session, .get, s3Path(bucket) + "?versions") else {
            if api { return ConsoleResponses.json(["error": "AccessDenied", "bucket": bucket], status: .forbidden) }
            return ConsoleResponses.page(status: .forbidden, title: key, session: session,
                                         body: "<p class=\"error\">You may not list this bucket's versions (AccessDenied).</p>")
        }
        let model = await model()
        if api { return ConsoleResponses.json(model) }
        return ConsoleResponses.page(title: key, session: session, active: "buckets", body: render(model))
    }

    var pagePath: String { "/_lockstep/console/b/\(HTML.urlComponent(bucket))/state/\(HTML.keyPath(key))" }

    func render(_ model: Model) -> String {
        var body = "<h1>State <span class=\"mono\">\(HTML.escape(bucket))/\(HTML.escape(key))</span></h1>"
        if let notice = notice.flatMap(Notice.text) { body += "<p class=\"notice\" id=\"notice\">\(HTML.escape(notice))</p>" }
        body += renderLock(model.lock)
        body += "<h2>Versions</h2>"
        if model.versions.isEmpty {
            body += "<p class=\"muted\">No versions of this key.</p>"
        } else {
            body += """
                <form method="get" action="\(pagePath)">
                <table id="state-versions"><thead><tr><th>From</th><th>To</th><th>Version</th><th class="num">Serial</th><th>Lineage</th>\
                <th>Terraform</th><th>Time</th><th class="num">Size</th><th></th></tr></thead><tbody>
                """
            for version in model.versions {
                let readable = version.serial != nil || version.lineage != nil
                let radio = { (name: String, selected: String?) in
                    readable ? "<input type=\"radio\" name=\"\(name)\" value=\"\(HTML.escape(version.versionId))\"\(selected == version.versionId ? " checked" : "")>" : ""
                }
                var restore = ""
                if readable, !version.isLatest {
                    restore = """
                        <button type="submit" form="restore-\(HTML.escape(version.versionId))" class="danger">Restore this version</button>
                        """
                }
                let state = version.isDeleteMarker ? "<span class=\"tag\">delete marker</span>"
                    : version.unreadable.map { "<span class=\"error\">\(HTML.escape($0))</span>" } ?? ""
                body += """
                    <tr data-version="\(HTML.escape(version.versionId))"><td>\(radio("from", model.diffFrom))</td><td>\(radio("to", model.diffTo))</td>\
                    <td class="mono">\(HTML.escape(version.versionId))\(version.isLatest ? " <span class=\"tag\">current</span>" : "") \(state)</td>\
                    <td class="num serial">\(version.serial.map(String.init) ?? "")</td><td class="mono">\(HTML.escape(version.lineage ?? ""))</td>\
                    <td>\(HTML.escape(version.terraformVersion ?? ""))</td><td class="mono">\(HTML.escape(version.lastModified))</td>\
                    <td class="num">\(version.isDeleteMarker ? "" : HTML.bytes(version.size))</td><td>\(restore)</td></tr>
                    """
            }
            body += "</tbody></table><p><button type=\"submit\" id=\"compare\">Compare selected versions</button></p></form>"
            for version in model.versions where !version.isLatest && (version.serial != nil || version.lineage != nil) {
                body += """
                    <form id="restore-\(HTML.escape(version.versionId))" method="post" action="\(pagePath)" class="inline" \
                    data-confirm="Copy version \(HTML.escape(version.versionId)) (serial \(version.serial.map(String.init) ?? "?")) back as the current state?">\
                    <input type="hidden" name="csrf" value="\(HTML.escape(session.csrfToken))">\
                    <input type="hidden" name="action" value="restore"><input type="hidden" name="versionId" value="\(HTML.escape(version.versionId))"></form>
                    """
            }
        }
        body += renderDiff(model)
        return body
    }

    func renderLock(_ lock: Lock) -> String {
        var body = "<h2>Lock</h2>"
        if let unknown = lock.unknown {
            body += "<div class=\"lock-held\" id=\"lock\">Unknown: <span class=\"mono\">\(HTML.escape(key)).tflock</span> could not be read (\(HTML.escape(unknown))).</div>"
        } else if lock.held {
            let info = lock.info
            let rows: [(String, String)] = [("ID", info?.id ?? ""), ("Who", info?.who ?? ""), ("Operation", info?.operation ?? ""),
                                            ("Created", info?.created ?? ""), ("Age", lock.ageSeconds.map { Self.age($0) } ?? ""),
                                            ("Terraform", info?.version ?? "")]
            body += "<div class=\"lock-held\" id=\"lock\"><strong>Held</strong> (<span class=\"mono\">\(HTML.escape(key)).tflock</span>)<table><tbody>"
            body += rows.map { "<tr><th>\($0.0)</th><td class=\"mono lock-\($0.0.lowercased())\">\(HTML.escape($0.1))</td></tr>" }.joined()
            body += """
                </tbody></table>
                <form method="post" action="\(pagePath)" data-confirm="Force-unlock: delete the lock held by \(HTML.escape(info?.who ?? "?"))? A Terraform run still holding it would then write unprotected.">\
                <input type="hidden" name="csrf" value="\(HTML.escape(session.csrfToken))"><input type="hidden" name="action" value="unlock">\
                <input type="hidden" name="etag" value="\(HTML.escape(lock.etag ?? ""))">\
                <button type="submit" class="danger" id="force-unlock">Force unlock</button></form></div>
                """
        } else {
            body += "<div class=\"lock-free\" id=\"lock\">Not locked: no <span class=\"mono\">\(HTML.escape(key)).tflock</span>.</div>"
        }
        if let table = lock.dynamoDBTable {
            let info = lock.dynamoDBInfo
            body += """
                <p id="dynamodb-lock">DynamoDB lock item in table <span class="mono">\(HTML.escape(table))</span>: \
                ID <span class="mono">\(HTML.escape(info?.id ?? ""))</span>, held by \(HTML.escape(info?.who ?? "?")) for \(HTML.escape(info?.operation ?? "?"))</p>
                """
        }
        return body
    }

    static func age(_ seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) days"
    }

    func renderDiff(_ model: Model) -> String {
        guard let diff = model.diff, let from = model.diffFrom, let to = model.diffTo else {
            return "<h2>Changes</h2><p class=\"muted\">Two readable versions are needed for a diff.</p>"
        }
        let serial = { (id: String) in model.versions.first { $0.versionId == id }?.serial.map { "serial \($0)" } ?? id }
        var body = "<h2 id=\"changes-title\">Changes from \(HTML.escape(serial(from))) to \(HTML.escape(serial(to)))</h2><div id=\"diff\">"
        if diff.isEmpty { body += "<p class=\"muted\">No resource or output changed.</p>" }
        let sections: [(String, String, [String])] = [("added", "+", diff.added), ("removed", "−", diff.removed), ("changed", "~", diff.changed)]
        for (cls, sign, addresses) in sections where !addresses.isEmpty {
            body += "<h3>Resources \(cls)</h3><ul class=\"\(cls)\">"
                + addresses.map { "<li class=\"mono\">\(sign) \(HTML.escape($0))</li>" }.joined() + "</ul>"
        }
        if !diff.outputsAdded.isEmpty || !diff.outputsRemoved.isEmpty || !diff.outputsChanged.isEmpty {
            body += "<h3>Outputs</h3><ul class=\"outputs\">"
            body += diff.outputsAdded.map { "<li class=\"added mono\">+ \(HTML.escape($0))</li>" }.joined()
            body += diff.outputsRemoved.map { "<li class=\"removed mono\">− \(HTML.escape($0))</li>" }.joined()
            body += diff.outputsChanged.map {
                "<li class=\"changed mono\">~ \(HTML.escape($0.name)): \(HTML.escape($0.from ?? "(sensitive)")) → \(HTML.escape($0.to ?? "(sensitive)"))</li>"
            }.joined()
            body += "</ul>"
        }
        return body + "</div>"
    }

    /// The page's two actions, each an S3 request made as the signed-in user.
    func act(_ form: QueryParameters) async -> APIResponse {
        switch form["action"] {
        case "unlock":
            // Only the lock the page showed: a lock taken since then (another ETag) is left alone.
            guard let etag = form["etag"], !etag.isEmpty else { return done(.init(code: "unlock-no-etag")) }
            let response = await console.request(.delete, s3Path(bucket, key + ".tflock"), session: session, headers: [("If-Match", etag)])
            switch response.status {
            case 200, 204: return done(.init(code: "unlocked"))
            case 412: return done(.init(code: "lock-changed"))
            default: return done(.init(code: "unlock-refused", detail: Self.errorCode(response.body) ?? "HTTP \(response.status)"))
            }
        case "restore":
            guard let versionId = form["versionId"], !versionId.isEmpty else { return done(.init(code: "no-version")) }
            // A restore under a held lock — or a lock the user cannot see — would race the run holding it.
            let current = await lock(dynamoDB: false)
            if current.held || current.unknown != nil { return done(.init(code: "locked")) }
            let source = s3Path(bucket, key) + "?versionId=" + HTML.urlComponent(versionId)
            let response = await console.request(.put, s3Path(bucket, key), session: session, headers: [("x-amz-copy-source", source)])
            if response.status == 200 { return done(.init(code: "restored", detail: versionId)) }
            return done(.init(code: "restore-refused", detail: Self.errorCode(response.body) ?? "HTTP \(response.status)"))
        default:
            return ConsoleResponses.redirect(to: pagePath)
        }
    }

    func done(_ notice: Notice) -> APIResponse {
        ConsoleResponses.redirect(to: pagePath + "?done=" + HTML.urlComponent(notice.query))
    }
}
