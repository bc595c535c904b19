import ArgumentParser
import NIOCore

struct LargeObjectOptions: ParsableArguments {
    @Option(name: .bench("size"), help: "Object size (K/M/G suffixes: 256MiB, 1GiB).")
    var size = ByteSize(1 << 30)

    @Option(name: .bench("streams"), help: "Parallel streams (put: one object each; get: all read the one object).")
    var streams = 1

    @Option(name: .bench("key"), help: "Object key (put-large appends -N per stream).")
    var key = "large"

    @Option(name: .bench("repeat"), help: "Rounds; the median round is reported (default: put-large 1, get-large 3).")
    var rounds: Int?

    @Option(name: .bench("verify"), help: "get-large: bytes (compare every byte with the generated object), sha256 (compare checksums) or none.")
    var verify = VerifyMode.bytes

    func validate() throws {
        guard streams >= 1, (rounds ?? 1) >= 1 else { throw ValidationError("-streams and -repeat must be >= 1") }
        guard size.bytes >= 1 else { throw ValidationError("-size must be at least 1 byte") }
    }
}

extension VerifyMode: ExpressibleByArgument {}

struct PutLargeScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put-large", abstract: "Stream one or more large generated objects up.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var options: LargeObjectOptions

    func run() async throws { try await LargeObjects.run(put: true, common: common, options: options) }
}

struct GetLargeScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get-large", abstract: "Stream a large object down, verifying its bytes.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var options: LargeObjectOptions

    func run() async throws { try await LargeObjects.run(put: false, common: common, options: options) }
}

/// put-large and get-large: one large object per stream, generated on the fly and never held in memory.
enum LargeObjects {
    private struct StreamResult: Sendable {
        var ok = false
        var nanoseconds: UInt64 = 0
        var verifiedBytes: Int64 = 0
    }

    static func run(put: Bool, common: CommonOptions, options: LargeObjectOptions) async throws {
        let scenario = put ? "put-large" : "get-large"
        let config = try common.configuration(defaultTimeout: GoDuration(seconds: 3600))
        let setup = S3Client(config)
        defer { setup.close() }
        let bucket = try await BucketLifecycle.setUp(setup, options: common, scenario: scenario)
        let size = options.size.bytes
        let streams = options.streams
        let rounds = options.rounds ?? (put ? 1 : 3)
        let verify = options.verify
        let pattern = Pattern(seed: common.seed != 0 ? UInt64(bitPattern: common.seed) : 1)
        let errors = ErrorTally()
        var o = common.header(scenario, bucket: bucket)
        o.add("size", size)
        o.add("streams", streams)

        // The body's SHA-256 is computed before the timed part, as a client that signs its payload must; get-large's
        // sha256 check needs it too.
        var hash: String?
        if !config.unsignedPayload || (!put && verify == .sha256) {
            let t0 = Monotonic.now()
            hash = pattern.sha256(size: size)
            if !config.unsignedPayload { o.add("client_sha256_s", Monotonic.seconds(since: t0)) }
        }
        let bodyHash = hash
        let contentType = [("Content-Type", "application/octet-stream")]
        @Sendable func upload(_ client: S3Client, _ key: String) async -> Result<S3Response, Error> {
            await client.send(S3Request("PUT", bucket: bucket, key: key, headers: contentType,
                                        body: .stream(length: size, sha256Hex: bodyHash, makeSource: { PatternSource(pattern: pattern, size: size) })))
        }
        let baseKey = options.key
        let keyFor: @Sendable (Int) -> String = { i in put ? "\(baseKey)-\(i)" : baseKey }

        if !put {
            // The object to download must exist with the expected size (untimed).
            let head = await setup.send(S3Request("HEAD", bucket: bucket, key: baseKey))
            if case .success(let r) = head, r.status == 200, r.header("Content-Length") == String(size) {
                // Already there, e.g. from an earlier run with -cleanup=false.
            } else {
                Log.info("get-large: uploading \(size) bytes to \(bucket)/\(baseKey) first")
                let t0 = Monotonic.now()
                guard errors.check("PutObject (populate)", await upload(setup, baseKey), ok: [200]) else {
                    errors.report(into: &o)
                    o.add("fatal", "could not upload the object to download")
                    Log.emit(o)
                    throw ScenarioFailure(message: "could not upload the object to download")
                }
                o.add("populate_mib_per_s", Double(size) / Monotonic.seconds(since: t0) / Double(1 << 20))
            }
        }

        let sampler = ServerSampler(pid: common.serverPID)
        var results: [(elapsed: Double, streams: [StreamResult])] = []
        for round in 1...rounds {
            let start = Monotonic.now()
            let perStream = await runWorkers(streams) { i -> StreamResult in
                let client = S3Client(config)
                defer { client.close() }
                var result = StreamResult()
                let t0 = Monotonic.now()
                if put {
                    result.ok = errors.check("PutObject", await upload(client, keyFor(i)), ok: [200])
                } else {
                    let verifier = PatternVerifier(pattern: pattern, mode: verify)
                    var request = S3Request("GET", bucket: bucket, key: keyFor(i))
                    request.sink = verifier
                    let r = await client.send(request)
                    result.ok = errors.check("GetObject", r, ok: [200])
                    if result.ok, case .success(let response) = r {
                        if response.bodyBytes != size {
                            errors.add(kind: "GetObject: wrong length", detail: "GetObject: got \(response.bodyBytes) bytes, want \(size)")
                            result.ok = false
                        } else if let at = verifier.mismatchAt {
                            errors.add(kind: "GetObject: corrupt", detail: "GetObject: content differs at byte \(at)")
                            result.ok = false
                        } else if verify == .sha256, let got = verifier.finalSHA256(), got != bodyHash {
                            errors.add(kind: "GetObject: corrupt", detail: "GetObject: SHA-256 \(got), want \(bodyHash ?? "")")
                            result.ok = false
                        } else if verify != .none {
                            result.verifiedBytes = verifier.bytesSeen
                        }
                    }
                }
                result.nanoseconds = Monotonic.now() - t0
                return result
            }
            let elapsed = Monotonic.seconds(since: start)
            results.append((elapsed, perStream))
            Log.info("\(scenario) round \(round)/\(rounds): \(perStream.filter(\.ok).count)/\(streams) streams ok in \(round3(elapsed)) s")
        }

        // Headline: the median round by aggregate throughput; every round listed.
        func rate(_ r: (elapsed: Double, streams: [StreamResult])) -> Double {
            Double(size) * Double(r.streams.filter(\.ok).count) / r.elapsed
        }
        let sorted = results.sorted { rate($0) < rate($1) }
        let median = sorted[(sorted.count - 1) / 2]
        o.add("rounds", results.count)
        o.add("ok_streams", median.streams.filter(\.ok).count)
        o.add("duration_s", median.elapsed)
        o.add("mib_per_s", rate(median) / Double(1 << 20))
        o.add("mb_per_s", rate(median) / 1e6)
        o.add("rounds_mib_per_s_sorted", sorted.map { rate($0) / Double(1 << 20) })
        o.add("per_stream_mib_per_s", median.streams.filter(\.ok).map { Double(size) / (Double($0.nanoseconds) / 1e9) / Double(1 << 20) })
        if !put {
            let verifiedBytes = results.reduce(Int64(0)) { $0 + $1.streams.reduce(Int64(0)) { $0 + $1.verifiedBytes } }
            // True only when every byte of every stream of every round was checked and matched.
            o.add("verified", verify != .none && verifiedBytes == size * Int64(streams * rounds))
            o.add("verify", verify.rawValue)
            o.add("verified_bytes", verifiedBytes)
        }
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(setup, options: common, bucket: bucket, versioned: false, into: &o)
        Log.emit(o)
    }
}
