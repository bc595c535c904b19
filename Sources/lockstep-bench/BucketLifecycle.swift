import LockstepCrypto
import NIOCore

/// Creating a scenario's bucket, and emptying and deleting it afterwards (untimed).
enum BucketLifecycle {
    /// Creates the bucket (or reuses -bucket when it is already ours). When it cannot, prints the scenario's JSON line
    /// with `fatal` and throws.
    static func setUp(_ client: S3Client, options: CommonOptions, scenario: String) async throws -> String {
        let name = options.bucket ?? "lockstep-bench-\(scenario)-\(randomHex(4))"
        let outcome = await client.send(S3Request("PUT", bucket: name))
        let detail: String
        switch outcome {
        case .success(let r) where r.status == 200 || (r.status == 409 && r.bodyContains("BucketAlreadyOwnedByYou")):
            return name
        case .success(let r):
            detail = "HTTP \(r.status): \(r.bodyText(limit: 800))"
        case .failure(let error):
            detail = "\(error)"
        }
        var o = options.header(scenario, bucket: name)
        o.add("fatal", "CreateBucket failed: " + detail)
        Log.emit(o)
        throw ScenarioFailure(message: "CreateBucket \(name) failed: \(detail)")
    }

    /// With -cleanup (the default), deletes every object (every version when `versioned`) and the bucket; a failure is
    /// reported as `cleanup_error`, never as a benchmark error.
    static func finish(_ client: S3Client, options: CommonOptions, bucket: String, versioned: Bool, into o: inout JSONObject) async {
        guard options.cleanup else { return }
        do {
            try await empty(client, bucket: bucket, versioned: versioned)
            let r = try await client.send(S3Request("DELETE", bucket: bucket)).get()
            guard (200..<300).contains(r.status) else {
                throw CleanupError(description: "DeleteBucket: HTTP \(r.status): \(r.bodyText(limit: 300))")
            }
        } catch {
            o.add("cleanup_error", "\(error)")
        }
    }

    private struct CleanupError: Error, CustomStringConvertible {
        let description: String
    }

    private static func empty(_ client: S3Client, bucket: String, versioned: Bool) async throws {
        for _ in 0..<10_000 {
            var batch: [(key: String, versionId: String?)] = []
            var truncated = false
            if versioned {
                let r = try await client.send(S3Request("GET", bucket: bucket, query: [("versions", ""), ("max-keys", "1000")])).get()
                guard r.status == 200, let page = ListingXML.versionsPage(r.body) else {
                    throw CleanupError(description: "ListObjectVersions during cleanup failed: HTTP \(r.status)")
                }
                batch = (page.versions + page.deleteMarkers).map { ($0.key, $0.versionId) }
                truncated = page.isTruncated
            } else {
                let r = try await client.send(S3Request("GET", bucket: bucket, query: [("list-type", "2"), ("max-keys", "1000")])).get()
                guard r.status == 200, let page = ListingXML.objectsPage(r.body) else {
                    throw CleanupError(description: "ListObjectsV2 during cleanup failed: HTTP \(r.status)")
                }
                batch = page.keys.map { ($0, nil) }
                truncated = page.isTruncated
            }
            if batch.isEmpty { return }
            try await delete(client, bucket: bucket, batch)
            if !truncated && batch.count < 1000 { return }
        }
    }

    /// DeleteObjects, falling back to one DeleteObject per key when the server does not take it.
    private static func delete(_ client: S3Client, bucket: String, _ objects: [(key: String, versionId: String?)]) async throws {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>"#
        for object in objects {
            xml += "<Object><Key>" + ListingXML.escape(object.key) + "</Key>"
            if let v = object.versionId, !v.isEmpty { xml += "<VersionId>" + ListingXML.escape(v) + "</VersionId>" }
            xml += "</Object>"
        }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        let bulk = await client.send(S3Request(
            "POST", bucket: bucket, query: [("delete", "")],
            headers: [("Content-MD5", Base64.encode(Digest.md5(body))), ("Content-Type", "application/xml")],
            body: .bytes(ByteBuffer(bytes: body))))
        if case .success(let r) = bulk, r.status == 200, !r.bodyContains("<Error>") { return }
        for object in objects {
            var query: [(String, String)] = []
            if let v = object.versionId, !v.isEmpty { query = [("versionId", v)] }
            let r = try await client.send(S3Request("DELETE", bucket: bucket, key: object.key, query: query)).get()
            guard (200..<300).contains(r.status) else {
                throw CleanupError(description: "DeleteObject \(object.key): HTTP \(r.status)")
            }
        }
    }
}
