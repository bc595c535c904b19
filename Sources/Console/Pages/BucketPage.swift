import Foundation
import FrontDoors
import Store

/// `/_lockstep/console/b/<bucket>`: the bucket's object versions (a page at a time, as ListObjectVersions pages) with
/// each version's storage class, encryption and retention, and the bucket's configuration rendered readably.
struct BucketPage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession
    let bucket: String
    let keyMarker: String?
    let versionIdMarker: String?

    static let pageSize = 100

    struct Version: Codable {
        var key: String
        var versionId: String
        var isLatest: Bool
        var isDeleteMarker: Bool
        var size: Int64
        var lastModified: String
        var storageClass: String
        var encryption: String?
        var kmsKeyId: String?
        var retention: String?
        var legalHold: Bool?
        var isTerraformState: Bool
    }

    /// Each part is there only if the user may read it through S3 (GetBucketVersioning, GetBucketEncryption, …);
    /// nil otherwise. A part that is readable but not configured says so ("Off", an empty list).
    struct Configuration: Codable {
        var versioning: String?
        var defaultEncryption: String?
        var objectLock: String?
        var policy: String?
        var publicAccessBlock: PublicAccessBlock?
        var ownership: String?
        var lifecycleRules: [LifecycleRule]?
        var logging: String?
        var cors: String?
    }

    struct Model: Codable {
        var bucket: String
        var configuration: Configuration
        var versions: [Version]
        var nextKeyMarker: String?
        var nextVersionIdMarker: String?
    }

    enum Refusal: Error { case noSuchBucket, accessDenied }

    func model() async throws(Refusal) -> Model {
        let store = console.s3.store
        guard let found = try? await store.bucket(named: bucket) else { throw .noSuchBucket }
        guard await console.permits(session, .get, s3Path(bucket) + "?versions") else { throw .accessDenied }
        let listing = try? await store.listVersions(bucket: bucket, prefix: "", delimiter: nil, keyMarker: keyMarker,
                                                    versionIdMarker: versionIdMarker, maxKeys: Self.pageSize)
        var versions: [Version] = []
        for listed in listing?.versions ?? [] {
            var version = Version(key: listed.key, versionId: listed.versionId, isLatest: listed.isLatest, isDeleteMarker: listed.isDeleteMarker,
                                  size: listed.size, lastModified: ConsoleResponses.time(listed.lastModifiedMillis),
                                  storageClass: listed.storageClass, isTerraformState: listed.key.hasSuffix(".tfstate"))
            // What HeadObject, GetObjectRetention and GetObjectLegalHold would tell this user about the version.
            let versionPath = s3Path(bucket, listed.key) + "?versionId=" + HTML.urlComponent(listed.versionId)
            if !listed.isDeleteMarker, await console.permits(session, .head, versionPath),
               let full = try? await store.object(bucket: bucket, key: listed.key, versionId: listed.versionId, withBody: false) {
                let encryption = full.metadata.encryption
                version.encryption = encryption.map { Self.describe($0.mode) }
                // SSE-S3's data keys are wrapped by Lockstep's internal service key, which is not the user's to name.
                version.kmsKeyId = encryption?.mode.usesKMS == true ? encryption?.keyId : nil
                if full.metadata.retention != nil, await console.permits(session, .get, versionPath + "&retention") {
                    version.retention = full.metadata.retention.map { "\($0.mode.rawValue) until \(ConsoleResponses.time($0.retainUntilMillis))" }
                }
                if full.metadata.legalHold != nil, await console.permits(session, .get, versionPath + "&legal-hold") {
                    version.legalHold = full.metadata.legalHold
                }
            }
            versions.append(version)
        }
        let configuration = found.configuration
        func may(_ subresource: String) async -> Bool { await console.permits(session, .get, s3Path(bucket) + "?" + subresource) }
        return Model(
            bucket: bucket,
            configuration: Configuration(
                versioning: await may("versioning") ? (found.versioning == .unversioned ? "Off" : found.versioning.rawValue) : nil,
                defaultEncryption: await may("encryption") ? BucketsPage.describe(configuration.encryption ?? .default) : nil,
                objectLock: await may("object-lock") ? BucketsPage.describe(configuration.objectLock) : nil,
                policy: await may("policy") ? configuration.policy.map(Self.prettyJSON) : nil,
                publicAccessBlock: await may("publicAccessBlock") ? configuration.publicAccessBlock : nil,
                ownership: await may("ownershipControls") ? (configuration.ownership ?? .objectWriter).rawValue : nil,
                lifecycleRules: await may("lifecycle") ? configuration.lifecycle?.rules ?? [] : nil,
                logging: await may("logging") ? configuration.logging.map { "→ \($0.targetBucket)/\($0.targetPrefix)" } ?? "Off" : nil,
                cors: await may("cors") ? configuration.cors.map(Self.prettyJSON) : nil),
            versions: versions,
            nextKeyMarker: listing?.isTruncated == true ? listing?.nextKeyMarker : nil,
            nextVersionIdMarker: listing?.isTruncated == true ? listing?.nextVersionIdMarker : nil)
    }

    static func describe(_ mode: ObjectEncryption.Mode) -> String {
        switch mode {
        case .sseS3: return "SSE-S3"
        case .sseKMS: return "SSE-KMS"
        case .sseKMSDSSE: return "DSSE-KMS"
        case .sseC: return "SSE-C"
        }
    }

    static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    func response(api: Bool) async -> APIResponse {
        let model: Model
        do {
            model = try await self.model()
        } catch {
            let (status, message) = error == .noSuchBucket ? (404, "NoSuchBucket") : (403, "AccessDenied")
            if api { return ConsoleResponses.json(["error": message, "bucket": bucket], status: .init(code: status)) }
            return ConsoleResponses.page(status: .init(code: status), title: bucket, session: session, active: "buckets",
                                         body: "<h1>\(HTML.escape(bucket))</h1><p class=\"error\">\(message == "NoSuchBucket" ? "There is no such bucket." : "You may not list this bucket's versions (AccessDenied).")</p>")
        }
        if api { return ConsoleResponses.json(model) }
        return ConsoleResponses.page(title: bucket, session: session, active: "buckets", body: render(model))
    }

    func render(_ model: Model) -> String {
        let base = "/_lockstep/console/b/\(HTML.urlComponent(bucket))"
        var body = "<h1>Bucket <span class=\"mono\">\(HTML.escape(bucket))</span></h1>"
        body += "<h2>Objects and versions</h2>"
        body += """
            <table id="versions"><thead><tr><th>Key</th><th>Version</th><th>Latest</th><th class="num">Size</th><th>Last modified</th>\
            <th>Storage class</th><th>Encryption</th><th>KMS key</th><th>Lock</th></tr></thead><tbody>
            """
        for version in model.versions {
            let keyCell = version.isTerraformState
                ? "<a href=\"\(base)/state/\(HTML.keyPath(version.key))\">\(HTML.escape(version.key))</a> <span class=\"tag\">state</span>"
                : HTML.escape(version.key)
            let lock = [version.retention, version.legalHold == true ? "legal hold" : nil].compactMap { $0 }.joined(separator: ", ")
            body += """
                <tr><td class="mono">\(keyCell)</td><td class="mono">\(HTML.escape(version.versionId))</td>\
                <td>\(version.isDeleteMarker ? "<span class=\"tag\">delete marker</span>" : (version.isLatest ? "yes" : ""))\(version.isDeleteMarker && version.isLatest ? " (latest)" : "")</td>\
                <td class="num">\(version.isDeleteMarker ? "" : HTML.bytes(version.size))</td><td class="mono">\(HTML.escape(version.lastModified))</td>\
                <td>\(HTML.escape(version.isDeleteMarker ? "" : version.storageClass))</td><td>\(HTML.escape(version.encryption ?? ""))</td>\
                <td class="mono">\(HTML.escape(version.kmsKeyId ?? ""))</td><td>\(HTML.escape(lock))</td></tr>
                """
        }
        body += "</tbody></table>"
        if model.versions.isEmpty { body += "<p class=\"muted\">The bucket is empty.</p>" }
        if let key = model.nextKeyMarker {
            body += "<p><a id=\"next-page\" href=\"\(base)?key-marker=\(HTML.urlComponent(key))&amp;version-id-marker=\(HTML.urlComponent(model.nextVersionIdMarker ?? ""))\">Next \(Self.pageSize) versions →</a></p>"
        }
        let configuration = model.configuration
        let hidden = "<span class=\"muted\">not permitted</span>"
        let cell = { (value: String?) in value.map(HTML.escape) ?? hidden }
        body += "<h2>Configuration</h2><div class=\"grid\">"
        body += """
            <div class="card"><h3>Settings</h3><table><tbody>\
            <tr><th>Versioning</th><td>\(cell(configuration.versioning))</td></tr>\
            <tr><th>Default encryption</th><td>\(cell(configuration.defaultEncryption))</td></tr>\
            <tr><th>Object Lock</th><td>\(cell(configuration.objectLock))</td></tr>\
            <tr><th>Object ownership</th><td>\(cell(configuration.ownership))</td></tr>\
            <tr><th>Access logging</th><td>\(cell(configuration.logging))</td></tr>\
            </tbody></table></div>
            """
        if let block = configuration.publicAccessBlock {
            body += """
                <div class="card"><h3>Block Public Access</h3><table><tbody>\
                <tr><th>BlockPublicAcls</th><td>\(block.blockPublicAcls)</td></tr><tr><th>IgnorePublicAcls</th><td>\(block.ignorePublicAcls)</td></tr>\
                <tr><th>BlockPublicPolicy</th><td>\(block.blockPublicPolicy)</td></tr><tr><th>RestrictPublicBuckets</th><td>\(block.restrictPublicBuckets)</td></tr>\
                </tbody></table></div>
                """
        } else {
            body += "<div class=\"card\"><h3>Block Public Access</h3><p class=\"muted\">Not configured, or you may not read it.</p></div>"
        }
        body += "<div class=\"card\"><h3>Bucket policy</h3>" + (configuration.policy.map { "<pre id=\"policy\">\(HTML.escape($0))</pre>" }
            ?? "<p class=\"muted\">No policy, or you may not read it.</p>") + "</div>"
        body += "<div class=\"card\"><h3>CORS</h3>" + (configuration.cors.map { "<pre>\(HTML.escape($0))</pre>" }
            ?? "<p class=\"muted\">No CORS rules, or you may not read them.</p>") + "</div>"
        body += "</div><h2>Lifecycle rules</h2>"
        if configuration.lifecycleRules == nil {
            body += "<p class=\"muted\">You may not read this bucket's lifecycle configuration.</p>"
        } else if configuration.lifecycleRules?.isEmpty == true {
            body += "<p class=\"muted\">No lifecycle rules.</p>"
        } else {
            body += "<table id=\"lifecycle-rules\"><thead><tr><th>ID</th><th>Status</th><th>Filter</th><th>Actions</th></tr></thead><tbody>"
            for rule in configuration.lifecycleRules ?? [] {
                body += "<tr><td>\(HTML.escape(rule.id))</td><td>\(rule.enabled ? "Enabled" : "Disabled")</td>"
                    + "<td>\(HTML.escape(Self.describe(rule.filter)))</td><td>\(HTML.escape(Self.describe(rule)))</td></tr>"
            }
            body += "</tbody></table>"
        }
        return body
    }

    static func describe(_ filter: LifecycleFilter) -> String {
        var parts: [String] = []
        if let prefix = filter.prefix { parts.append("prefix \"\(prefix)\"") }
        parts += filter.tags.map { "tag \($0.key)=\($0.value)" }
        if let size = filter.sizeGreaterThan { parts.append("larger than \(size) B") }
        if let size = filter.sizeLessThan { parts.append("smaller than \(size) B") }
        return parts.isEmpty ? "whole bucket" : parts.joined(separator: ", ")
    }

    static func describe(_ rule: LifecycleRule) -> String {
        var parts: [String] = []
        if let expiration = rule.expiration {
            if let days = expiration.days { parts.append("expire current versions after \(days) days") }
            if let date = expiration.dateMillis { parts.append("expire current versions on \(ConsoleResponses.time(date))") }
            if expiration.expiredObjectDeleteMarker == true { parts.append("remove expired delete markers") }
        }
        for transition in rule.transitions {
            parts.append("move to \(transition.storageClass) " + (transition.days.map { "after \($0) days" } ?? transition.dateMillis.map { "on \(ConsoleResponses.time($0))" } ?? ""))
        }
        if let noncurrent = rule.noncurrentExpiration {
            parts.append("expire noncurrent versions after \(noncurrent.noncurrentDays.map(String.init) ?? "?") days"
                         + (noncurrent.newerNoncurrentVersions.map { " (keeping \($0) newer)" } ?? ""))
        }
        for transition in rule.noncurrentTransitions {
            parts.append("move noncurrent versions to \(transition.storageClass) after \(transition.noncurrentDays) days")
        }
        if let days = rule.abortIncompleteUploadDays { parts.append("abort incomplete uploads after \(days) days") }
        return parts.joined(separator: "; ")
    }
}
