import FrontDoors
import S3API
import Store

/// `/_lockstep/console/clock`: the store clock, a control to move it forward, and the lifecycle timeline of the
/// user's buckets — what will expire, transition or be aborted, and when, by the same schedule the passes use.
struct ClockPage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession
    let notice: String?

    /// Versions looked at per bucket, and in all: the timeline is a view, not a lifecycle pass.
    static let scanLimit = 10_000
    static let totalScanLimit = 50_000
    static let shownEvents = 500

    struct Event: Codable {
        var due: String
        var dueMillis: Int64
        var bucket: String
        var key: String
        var versionId: String?
        var action: String
        var ruleId: String
    }

    struct Model: Codable {
        var now: String
        var offsetSeconds: Double
        var daySeconds: Double
        var events: [Event]
    }

    func model() async -> Model {
        let now = console.clock.nowMillis()
        var events: [Event] = []
        let store = console.s3.store
        let buckets = (try? await store.listBuckets(owner: session.identity.account.id, prefix: nil, startAfter: nil, limit: 10_000)) ?? []
        var budget = Self.totalScanLimit
        for bucket in buckets where budget > 0 {
            guard let configuration = bucket.configuration.lifecycle, configuration.rules.contains(where: \.enabled),
                  await console.permits(session, .get, s3Path(bucket.name) + "?lifecycle"),
                  await console.permits(session, .get, s3Path(bucket.name) + "?versions") else { continue }
            let uploads = await console.permits(session, .get, s3Path(bucket.name) + "?uploads")
            events += await timeline(bucket: bucket.name, configuration, includeUploads: uploads, budget: &budget)
        }
        events.sort { ($0.dueMillis, $0.bucket, $0.key) < ($1.dueMillis, $1.bucket, $1.key) }
        return Model(now: ConsoleResponses.time(now), offsetSeconds: Double(console.clock.offsetMillis) / 1000,
                     daySeconds: Double(console.schedule.dayMillis) / 1000, events: Array(events.prefix(Self.shownEvents)))
    }

    func timeline(bucket: String, _ configuration: LifecycleConfiguration, includeUploads: Bool, budget: inout Int) async -> [Event] {
        let store = console.s3.store
        let schedule = console.schedule
        let needsTags = configuration.rules.contains { !$0.filter.tags.isEmpty }
        var events: [Event] = []
        func add(_ due: Int64, _ key: String, _ versionId: String?, _ action: String, _ rule: String) {
            events.append(Event(due: ConsoleResponses.time(due), dueMillis: due, bucket: bucket, key: key, versionId: versionId, action: action, ruleId: rule))
        }
        var keyMarker: String?, versionIdMarker: String?
        var seen = 0
        var previous: ListedVersion?
        var noncurrentIndex = 0
        scan: while seen < Self.scanLimit {
            guard let page = try? await store.listVersions(bucket: bucket, prefix: "", delimiter: nil, keyMarker: keyMarker,
                                                           versionIdMarker: versionIdMarker, maxKeys: 1000) else { break }
            for version in page.versions {
                seen += 1
                budget -= 1
                if seen > Self.scanLimit || budget < 0 { break scan }
                // Versions come newest first per key: the one before is the successor that made this one noncurrent.
                let successor = previous?.key == version.key ? previous : nil
                previous = version
                noncurrentIndex = successor == nil ? 0 : noncurrentIndex + 1
                guard !version.isDeleteMarker else { continue }
                var tags: [Tag] = []
                if needsTags, let full = try? await store.object(bucket: bucket, key: version.key, versionId: version.versionId, withBody: false) {
                    tags = full.metadata.tags
                }
                for rule in configuration.rules where rule.enabled && rule.filter.matches(key: version.key, size: version.size, tags: tags) {
                    if let successor {
                        if let expiration = rule.noncurrentExpiration, let days = expiration.noncurrentDays,
                           noncurrentIndex > (expiration.newerNoncurrentVersions ?? 0) {
                            add(schedule.due(after: successor.lastModifiedMillis, days: days), version.key, version.versionId, "expire noncurrent version", rule.id)
                        }
                        for transition in rule.noncurrentTransitions where transition.storageClass != version.storageClass {
                            add(schedule.due(after: successor.lastModifiedMillis, days: transition.noncurrentDays), version.key, version.versionId,
                                "move noncurrent version to \(transition.storageClass)", rule.id)
                        }
                    } else {
                        if let expiration = rule.expiration {
                            if let days = expiration.days {
                                add(schedule.due(after: version.lastModifiedMillis, days: days), version.key, nil, "expire", rule.id)
                            } else if let date = expiration.dateMillis {
                                add(date, version.key, nil, "expire", rule.id)
                            }
                        }
                        for transition in rule.transitions where transition.storageClass != version.storageClass {
                            if let due = transition.days.map({ schedule.due(after: version.lastModifiedMillis, days: $0) }) ?? transition.dateMillis {
                                add(due, version.key, nil, "move to \(transition.storageClass)", rule.id)
                            }
                        }
                    }
                }
            }
            guard page.isTruncated else { break }
            keyMarker = page.nextKeyMarker
            versionIdMarker = page.nextVersionIdMarker
        }
        if includeUploads, let uploads = try? await store.listUploads(bucket: bucket, prefix: "", delimiter: nil, keyMarker: nil, uploadIdMarker: nil, maxUploads: 1000) {
            for upload in uploads.uploads {
                if let abort = configuration.abortDate(key: upload.key, initiatedMillis: upload.initiatedMillis, schedule: schedule) {
                    add(abort.dueMillis, upload.key, nil, "abort upload \(upload.uploadId)", abort.ruleId)
                }
            }
        }
        return events
    }

    func response(api: Bool) async -> APIResponse {
        let model = await model()
        if api { return ConsoleResponses.json(model) }
        var body = "<h1>Store clock</h1>"
        if let notice = notice.flatMap(Notice.text) { body += "<p class=\"notice\" id=\"notice\">\(HTML.escape(notice))</p>" }
        body += """
            <div class="card"><p>Now: <span class="mono" id="clock-now">\(HTML.escape(model.now))</span> \
            (<span id="clock-offset">\(Self.seconds(model.offsetSeconds))</span> ahead of real time; a lifecycle day is \(Self.seconds(model.daySeconds))).</p>
            <form method="post" action="/_lockstep/console/clock" data-confirm="Move the store clock forward? It never goes back.">\
            <input type="hidden" name="csrf" value="\(HTML.escape(session.csrfToken))">\
            <label for="advance">Advance by</label> <input id="advance" name="advance" placeholder="30d, 12h, 90s" required> \
            <button type="submit" id="advance-button">Advance</button></form></div>
            <h2>Lifecycle timeline</h2>
            """
        let nowMillis = console.clock.nowMillis()
        if model.events.isEmpty {
            body += "<p class=\"muted\">Nothing scheduled: no enabled lifecycle rule matches anything in your buckets.</p>"
        } else {
            body += "<table id=\"timeline\"><thead><tr><th>Due</th><th>Bucket</th><th>Key</th><th>Version</th><th>Action</th><th>Rule</th></tr></thead><tbody>"
            for event in model.events {
                let overdue = event.dueMillis <= nowMillis ? " <span class=\"tag\">due</span>" : ""
                body += """
                    <tr><td class="mono">\(HTML.escape(event.due))\(overdue)</td><td>\(HTML.escape(event.bucket))</td>\
                    <td class="mono">\(HTML.escape(event.key))</td><td class="mono">\(HTML.escape(event.versionId ?? ""))</td>\
                    <td>\(HTML.escape(event.action))</td><td>\(HTML.escape(event.ruleId))</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        return ConsoleResponses.page(title: "Clock", session: session, active: "clock", body: body)
    }

    static func seconds(_ value: Double) -> String {
        if value >= 86400, value.truncatingRemainder(dividingBy: 86400) == 0 { return "\(Int(value / 86400)) d" }
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    /// The store's duration syntax (`clockDurationSeconds`), as typed into a form: surrounding spaces and capitals allowed.
    static func parseDuration(_ text: String) -> Double? {
        clockDurationSeconds(text.trimmingCharacters(in: .whitespaces).lowercased())
    }

    func advance(_ form: QueryParameters) async -> APIResponse {
        let outcome: Notice
        if let seconds = form["advance"].flatMap(Self.parseDuration), console.clock.canAdvance(bySeconds: seconds) {
            do {
                try console.clock.advance(bySeconds: seconds)
                console.clockMoved()
                outcome = Notice(code: "advanced", detail: Self.seconds(seconds))
            } catch {
                outcome = Notice(code: "clock-failed")
            }
        } else {
            outcome = Notice(code: "bad-duration")
        }
        return ConsoleResponses.redirect(to: "/_lockstep/console/clock?done=" + HTML.urlComponent(outcome.query))
    }
}
