import ArgumentParser
import LockstepCrypto
import NIOCore

/// Versioning enabled, one key PUT V times in sequence (like successive applies), ListObjectVersions paging with
/// key-marker/version-id-marker, GETs of old versions by versionId (bodies checked) and of the latest.
struct VersionsScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "V versions of one key; ListObjectVersions paging, GET by versionId.")

    @OptionGroup var common: CommonOptions

    @Option(name: .bench("versions"), help: "Versions of the one key to create.")
    var count = 1000

    @Option(name: .bench("page"), help: "max-keys per ListObjectVersions page.")
    var page = 100

    @Option(name: .bench("gets"), help: "GETs of random old versions by versionId.")
    var gets = 200

    @Option(name: .bench("size"), help: "Object size.")
    var size = ByteSize(1024)

    @Option(name: .bench("key"), help: "The versioned key.")
    var key = "state"

    @Option(name: .bench("repeat"), help: "Times the version listing is repeated.")
    var rounds = 3

    func validate() throws {
        guard count >= 1, page >= 1, rounds >= 1, gets >= 1 else { throw ValidationError("-versions, -page, -gets and -repeat must be >= 1") }
    }

    func run() async throws {
        let config = try common.configuration()
        let client = S3Client(config)
        defer { client.close() }
        let bucket = try await BucketLifecycle.setUp(client, options: common, scenario: "versions")
        let errors = ErrorTally()
        var o = common.header("versions", bucket: bucket)
        o.add("versions", count)
        o.add("page", page)

        let configuration = Array(#"<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#.utf8)
        let enable = await client.send(S3Request(
            "PUT", bucket: bucket, query: [("versioning", "")],
            headers: [("Content-MD5", Base64.encode(Digest.md5(configuration))), ("Content-Type", "application/xml")],
            body: .bytes(ByteBuffer(bytes: configuration))))
        guard errors.check("PutBucketVersioning", enable, ok: [200]) else {
            errors.report(into: &o)
            o.add("fatal", "PutBucketVersioning failed")
            Log.emit(o)
            throw ScenarioFailure(message: "PutBucketVersioning failed")
        }

        let sampler = ServerSampler(pid: common.serverPID)
        let objectSize = Int(size.bytes)
        // Each body names its sequence number, so that a GET by versionId can be checked.
        func body(_ i: Int) -> [UInt8] {
            let text = Array(("version " + zeroPadded(i, 7) + " ").utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: objectSize)
            return Array(text.prefix(objectSize))
        }
        var ids: [String] = []
        var sequence: [Int] = []
        var putLatency: [UInt64] = []
        let putStart = Monotonic.now()
        for i in 0..<count {
            let r = await client.send(S3Request("PUT", bucket: bucket, key: key, body: .bytes(ByteBuffer(bytes: body(i)))))
            guard errors.check("PutObject (versioned)", r, ok: [200]), case .success(let response) = r else { continue }
            putLatency.append(response.nanoseconds)
            ids.append(response.header("x-amz-version-id") ?? "")
            sequence.append(i)
        }
        let putSeconds = Monotonic.seconds(since: putStart)
        let supported = !ids.isEmpty && !ids.contains { $0.isEmpty || $0 == "null" }
        o.add("versioning_supported", supported)
        o.add("put_ops_per_s", Double(putLatency.count) / putSeconds)
        o.add("put_ms", LatencyStats.summary(putLatency))

        if supported {
            var pages: [UInt64] = []
            var totals: [UInt64] = []
            var seen = 0, pagesPerRun = 0
            for _ in 0..<rounds {
                seen = 0
                pagesPerRun = 0
                var latest = 0
                var latestID = ""
                var markers: (key: String, version: String)?
                var failed = false
                let t0 = Monotonic.now()
                for _ in 0..<(count / page + 10) {
                    var query = [("versions", ""), ("max-keys", String(page))]
                    if let markers { query += [("key-marker", markers.key), ("version-id-marker", markers.version)] }
                    let r = await client.send(S3Request("GET", bucket: bucket, query: query))
                    guard errors.check("ListObjectVersions", r, ok: [200]), case .success(let response) = r else {
                        failed = true
                        break
                    }
                    pages.append(response.nanoseconds)
                    pagesPerRun += 1
                    guard let result = ListingXML.versionsPage(response.body) else {
                        errors.add(kind: "ListObjectVersions: bad XML", detail: "not a ListVersionsResult: \(response.bodyText(limit: 300))")
                        failed = true
                        break
                    }
                    for v in result.versions {
                        seen += 1
                        if v.isLatest {
                            latest += 1
                            latestID = v.versionId
                        }
                    }
                    if !result.isTruncated { break }
                    guard !result.nextKeyMarker.isEmpty else {
                        errors.add(kind: "ListObjectVersions: no marker", detail: "IsTruncated without NextKeyMarker")
                        break
                    }
                    markers = (result.nextKeyMarker, result.nextVersionIdMarker)
                }
                if failed { break }
                totals.append(Monotonic.now() - t0)
                if seen != ids.count || latest != 1 || latestID != ids.last {
                    errors.add(kind: "ListObjectVersions: wrong listing",
                               detail: "listed \(seen) versions (\(latest) latest, latest=\(latestID)), want \(ids.count) (latest=\(ids.last ?? ""))")
                }
            }
            var listing = JSONObject()
            listing.add("pages", pagesPerRun)
            listing.add("versions_listed", seen)
            listing.add("total_ms_median", Monotonic.ms(LatencyStats.median(totals) ?? 0))
            listing.add("page_ms", LatencyStats.summary(pages))
            o.add("list_versions", listing)

            // The oldest first, then random ones.
            var rng = SplitMix64(seed: common.effectiveSeed)
            var oldLatency: [UInt64] = []
            for g in 0..<gets {
                let i = g == 0 ? 0 : Int(rng.next() % UInt64(ids.count))
                let r = await client.send(S3Request("GET", bucket: bucket, key: key, query: [("versionId", ids[i])]))
                guard errors.check("GetObject versionId", r, ok: [200]), case .success(let response) = r else { continue }
                guard Array(response.body.readableBytesView) == body(sequence[i]) else {
                    errors.add(kind: "GetObject versionId: wrong body", detail: "version \(ids[i]): body \(response.bodyText(limit: 40))")
                    continue
                }
                oldLatency.append(response.nanoseconds)
            }
            o.add("get_old_version_ms", LatencyStats.summary(oldLatency))
            var latestLatency: [UInt64] = []
            for _ in 0..<50 {
                let r = await client.send(S3Request("GET", bucket: bucket, key: key))
                if errors.check("GetObject latest", r, ok: [200]) { latestLatency.append(r.nanoseconds) }
            }
            o.add("get_latest_ms", LatencyStats.summary(latestLatency))
        }
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(client, options: common, bucket: bucket, versioned: true, into: &o)
        Log.emit(o)
    }
}
