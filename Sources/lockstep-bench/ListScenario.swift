import ArgumentParser
import LockstepCrypto
import NIOCore

/// K objects over P prefixes (keys pNN/obj-NNNNNNN), then ListObjectsV2 paging over everything, over one prefix with
/// delimiter /, and with delimiter / alone; key counts and order are checked.
struct ListScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "K objects in P prefixes; ListObjectsV2 paging.")

    @OptionGroup var common: CommonOptions

    @Option(name: .bench("objects"), help: "Objects to create.")
    var objects = 10_000

    @Option(name: .bench("prefixes"), help: "Top-level prefixes the objects are spread over.")
    var prefixes = 10

    @Option(name: .bench("page"), help: "max-keys per page.")
    var page = 1000

    @Option(name: [.customShort("c"), .customLong("concurrency")], help: "Concurrent writers while populating.")
    var concurrency = 8

    @Option(name: .bench("size"), help: "Object size.")
    var size = ByteSize(16)

    @Option(name: .bench("repeat"), help: "Times each listing is repeated.")
    var rounds = 3

    func validate() throws {
        guard concurrency >= 1, prefixes >= 1, page >= 1, objects >= 0, rounds >= 1 else {
            throw ValidationError("-c, -prefixes, -page and -repeat must be >= 1")
        }
    }

    private struct Run {
        var pages: [UInt64] = []
        var keys: [String] = []
        var commonPrefixes = 0
        var total: UInt64 = 0
        var failed = false
    }

    func run() async throws {
        let config = try common.configuration()
        let client = S3Client(config)
        defer { client.close() }
        let bucket = try await BucketLifecycle.setUp(client, options: common, scenario: "list")
        let errors = ErrorTally()
        var o = common.header("list", bucket: bucket)
        o.add("objects", objects)
        o.add("prefixes", prefixes)
        o.add("page", page)

        let (objects, prefixes, concurrency) = (self.objects, self.prefixes, self.concurrency)
        let body = randomBody(Int(size.bytes))
        let hash = Digest.sha256(body.readableBytesView).hexString
        let populateStart = Monotonic.now()
        _ = await runWorkers(concurrency) { w in
            let writer = S3Client(config)
            defer { writer.close() }
            for i in stride(from: w, to: objects, by: concurrency) {
                let key = "p" + zeroPadded(i % prefixes, 2) + "/obj-" + zeroPadded(i, 7)
                errors.check("PutObject (populate)", await writer.send(S3Request("PUT", bucket: bucket, key: key, body: .bytes(body, sha256Hex: hash))), ok: [200])
            }
        }
        let populate = Monotonic.seconds(since: populateStart)
        o.add("populate_s", populate)
        o.add("populate_ops_per_s", Double(objects) / populate)

        let sampler = ServerSampler(pid: common.serverPID)
        let maxPages = objects / page + 10
        let perPrefix = (objects + prefixes - 1) / prefixes
        let variants: [(name: String, prefix: String, delimiter: String, keys: Int, prefixes: Int)] = [
            ("all", "", "", objects, 0),
            ("prefix_delimiter", "p00/", "/", perPrefix, 0),
            ("delimiter_root", "", "/", 0, min(prefixes, objects)),
        ]
        for v in variants {
            var pages: [UInt64] = []
            var totals: [UInt64] = []
            var last: Run?
            for _ in 0..<rounds {
                let run = await listAll(client, errors: errors, bucket: bucket, prefix: v.prefix, delimiter: v.delimiter, maxPages: maxPages)
                last = run
                if run.failed { break }
                pages += run.pages
                totals.append(run.total)
                if run.keys.count != v.keys || run.commonPrefixes != v.prefixes {
                    errors.add(kind: "listing: wrong count",
                               detail: "\(v.name): got \(run.keys.count) keys/\(run.commonPrefixes) prefixes, want \(v.keys)/\(v.prefixes)")
                }
                if zip(run.keys, run.keys.dropFirst()).contains(where: { !$0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                    errors.add(kind: "listing: unsorted", detail: v.name + ": keys not in ascending order")
                }
            }
            var vo = JSONObject()
            vo.add("prefix", v.prefix)
            vo.add("delimiter", v.delimiter)
            if let last {
                vo.add("pages", last.pages.count)
                vo.add("keys", last.keys.count)
                vo.add("common_prefixes", last.commonPrefixes)
            }
            vo.add("total_ms_median", Monotonic.ms(LatencyStats.median(totals) ?? 0))
            let listingSeconds = Double(totals.reduce(0, +)) / 1e9
            vo.add("pages_per_s", listingSeconds > 0 ? Double(pages.count) / listingSeconds : 0)
            vo.add("page_ms", LatencyStats.summary(pages))
            o.add(v.name, vo)
        }
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(client, options: common, bucket: bucket, versioned: false, into: &o)
        Log.emit(o)
    }

    /// Pages through one listing with continuation tokens.
    private func listAll(_ client: S3Client, errors: ErrorTally, bucket: String, prefix: String, delimiter: String,
                         maxPages: Int) async -> Run {
        var run = Run()
        var token = ""
        let t0 = Monotonic.now()
        for _ in 0..<maxPages {
            var query = [("list-type", "2"), ("max-keys", String(page))]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if !delimiter.isEmpty { query.append(("delimiter", delimiter)) }
            if !token.isEmpty { query.append(("continuation-token", token)) }
            let r = await client.send(S3Request("GET", bucket: bucket, query: query))
            guard errors.check("ListObjectsV2", r, ok: [200]), case .success(let response) = r else {
                run.failed = true
                return run
            }
            run.pages.append(response.nanoseconds)
            guard let result = ListingXML.objectsPage(response.body) else {
                errors.add(kind: "ListObjectsV2: bad XML", detail: "ListObjectsV2: not a ListBucketResult: \(response.bodyText(limit: 300))")
                run.failed = true
                return run
            }
            run.keys += result.keys
            run.commonPrefixes += result.commonPrefixes
            if !result.isTruncated { break }
            guard !result.nextContinuationToken.isEmpty else {
                errors.add(kind: "ListObjectsV2: no token", detail: "ListObjectsV2: IsTruncated without NextContinuationToken")
                break
            }
            token = result.nextContinuationToken
        }
        run.total = Monotonic.now() - t0
        return run
    }
}
