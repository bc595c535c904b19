import ArgumentParser
import LockstepCrypto
import NIOCore

struct SmallObjectOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("concurrency")], help: "Concurrent workers, one connection each.")
    var concurrency = 8

    @Option(name: .bench("size"), help: "Object size (bytes; K/M/G suffixes allowed).")
    var size = ByteSize(1024)

    @Option(name: .bench("duration"), help: "Measurement time.")
    var duration = GoDuration(seconds: 10)

    @Option(name: .bench("max-ops"), help: "Stop after this many requests (0: time only).")
    var maxOps: Int64 = 0

    @Option(name: .bench("objects"), help: "get-small: objects written before the timed GETs.")
    var objects = 1000

    func validate() throws {
        guard concurrency >= 1, objects >= 1 else { throw ValidationError("-c and -objects must be >= 1") }
    }
}

struct PutSmallScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put-small", abstract: "C workers PUT small objects for D seconds.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var options: SmallObjectOptions

    func run() async throws { try await SmallObjects.run(get: false, common: common, options: options) }
}

struct GetSmallScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-small", abstract: "C workers GET random small objects (written first, untimed) for D seconds.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var options: SmallObjectOptions

    func run() async throws { try await SmallObjects.run(get: true, common: common, options: options) }
}

/// put-small and get-small: throughput and latency of small-object requests from C keep-alive connections.
enum SmallObjects {
    static func run(get: Bool, common: CommonOptions, options: SmallObjectOptions) async throws {
        let scenario = get ? "get-small" : "put-small"
        let config = try common.configuration()
        let setup = S3Client(config)
        defer { setup.close() }
        let bucket = try await BucketLifecycle.setUp(setup, options: common, scenario: scenario)
        let size = Int(options.size.bytes)
        let concurrency = options.concurrency
        let seed = common.effectiveSeed
        let errors = ErrorTally()
        var o = common.header(scenario, bucket: bucket)
        o.add("concurrency", concurrency)
        o.add("size", size)

        let contentType = [("Content-Type", "application/octet-stream")]
        var keys: [String] = []
        if get {
            keys = (0..<options.objects).map { "small/obj-" + zeroPadded($0, 7) }
            let body = randomBody(size)
            let hash = Digest.sha256(body.readableBytesView).hexString
            let populateStart = Monotonic.now()
            let all = keys
            _ = await runWorkers(concurrency) { w in
                let client = S3Client(config)
                defer { client.close() }
                for i in stride(from: w, to: all.count, by: concurrency) {
                    let r = await client.send(S3Request("PUT", bucket: bucket, key: all[i], headers: contentType,
                                                        body: .bytes(body, sha256Hex: hash)))
                    errors.check("PutObject (populate)", r)
                }
            }
            o.add("objects", options.objects)
            o.add("populate_ops_per_s", Double(options.objects) / Monotonic.seconds(since: populateStart))
        }

        let sampler = ServerSampler(pid: common.serverPID)
        let budget = OperationBudget(limit: options.maxOps)
        let deadline = Deadline(after: options.duration)
        let start = Monotonic.now()
        let getKeys = keys
        let latencies = await runWorkers(concurrency) { w -> [UInt64] in
            let client = S3Client(config)
            defer { client.close() }
            var rng = SplitMix64(seed: seed &+ UInt64(w))
            let body = randomBody(size)
            let hash = Digest.sha256(body.readableBytesView).hexString
            var samples: [UInt64] = []
            samples.reserveCapacity(1 << 14)
            var seq = 0
            while !deadline.passed && budget.take() {
                if get {
                    let key = getKeys[Int(rng.next() % UInt64(getKeys.count))]
                    let r = await client.send(S3Request("GET", bucket: bucket, key: key))
                    guard errors.check("GetObject", r, ok: [200]), case .success(let response) = r else { continue }
                    guard response.bodyBytes == Int64(size) else {
                        errors.add(kind: "GetObject: wrong length",
                                   detail: "GetObject \(key): got \(response.bodyBytes) bytes, want \(size)")
                        continue
                    }
                    samples.append(response.nanoseconds)
                } else {
                    let key = "small/w" + zeroPadded(w, 3) + "/obj-" + zeroPadded(seq, 8)
                    seq += 1
                    let r = await client.send(S3Request("PUT", bucket: bucket, key: key, headers: contentType,
                                                        body: .bytes(body, sha256Hex: hash)))
                    if errors.check("PutObject", r, ok: [200]), case .success(let response) = r {
                        samples.append(response.nanoseconds)
                    }
                }
            }
            return samples
        }
        let elapsed = Monotonic.seconds(since: start)
        let all = latencies.flatMap { $0 }
        o.add("duration_s", elapsed)
        o.add("ops", all.count)
        o.add("ops_per_s", Double(all.count) / elapsed)
        o.add("mib_per_s", Double(all.count) * Double(size) / elapsed / Double(1 << 20))
        o.add("latency_ms", LatencyStats.summary(all))
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(setup, options: common, bucket: bucket, versioned: false, into: &o)
        Log.emit(o)
    }
}
