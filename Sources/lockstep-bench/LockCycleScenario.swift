import ArgumentParser
import NIOCore

/// Terraform's use_lockfile cycle from one sequential client (Terraform itself is one): lock PUT with
/// If-None-Match: * (must be 200), state GET (200, or 404 the first time), state PUT (~20 KiB), lock DELETE.
struct LockCycleScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock-cycle",
        abstract: "Terraform use_lockfile cycle: lock PUT (If-None-Match: *), state GET, state PUT, lock DELETE.")

    @OptionGroup var common: CommonOptions

    @Option(name: [.customShort("c"), .customLong("concurrency")], help: "Workers, each with its own state key (Terraform itself is 1).")
    var concurrency = 1

    @Option(name: .bench("duration"), help: "Measurement time.")
    var duration = GoDuration(seconds: 10)

    @Option(name: .bench("max-cycles"), help: "Stop after this many cycles (0: time only).")
    var maxCycles: Int64 = 0

    @Option(name: .bench("state-size"), help: "State document size.")
    var stateSize = ByteSize(20 << 10)

    @Option(name: .bench("key"), help: "State object key; the lock is KEY.tflock.")
    var key = "state"

    @Option(name: .bench("unlock-check"), help: "GET the lock before deleting it, as Terraform's Unlock does (5 requests per cycle).")
    var unlockCheck = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("-c must be >= 1") }
    }

    private struct WorkerStats: Sendable {
        var cycles: [UInt64] = []
        var steps: [String: [UInt64]] = [:]
        var stale: Int64 = 0
    }

    func run() async throws {
        let config = try common.configuration()
        let setup = S3Client(config)
        defer { setup.close() }
        let bucket = try await BucketLifecycle.setUp(setup, options: common, scenario: "lock-cycle")
        let template = TerraformDocuments.stateTemplate(target: Int(stateSize.bytes))
        let steps = unlockCheck ? ["lock_put", "state_get", "state_put", "lock_get", "lock_delete"]
            : ["lock_put", "state_get", "state_put", "lock_delete"]
        let errors = ErrorTally()
        let budget = OperationBudget(limit: maxCycles)
        let (concurrency, baseKey, unlockCheck) = (self.concurrency, key, self.unlockCheck)
        let json = [("Content-Type", "application/json")]

        let sampler = ServerSampler(pid: common.serverPID)
        let deadline = Deadline(after: duration)
        let start = Monotonic.now()
        let perWorker = await runWorkers(concurrency) { w -> WorkerStats in
            let client = S3Client(config)
            defer { client.close() }
            var st = WorkerStats()
            let stateKey = concurrency > 1 ? "\(baseKey)-\(w)" : baseKey
            let lockKey = stateKey + ".tflock"
            var serial = 0
            while !deadline.passed && budget.take() {
                var ok = true
                let t0 = Monotonic.now()
                let id = TerraformDocuments.uuid()
                let lock = TerraformDocuments.lockInfo(id: id, path: bucket + "/" + stateKey)
                var r = await client.send(S3Request("PUT", bucket: bucket, key: lockKey, headers: [("If-None-Match", "*")] + json,
                                                    body: .bytes(ByteBuffer(bytes: lock))))
                guard errors.check("PutObject lock (If-None-Match)", r, ok: [200]) else {
                    // A stale lock (412) would block every later cycle: remove it.
                    _ = await client.send(S3Request("DELETE", bucket: bucket, key: lockKey))
                    continue
                }
                st.steps["lock_put", default: []].append(r.nanoseconds)

                r = await client.send(S3Request("GET", bucket: bucket, key: stateKey))
                if errors.check("GetObject state", r, ok: [200, 404]), case .success(let got) = r {
                    st.steps["state_get", default: []].append(got.nanoseconds)
                    if serial > 0 && (got.status != 200 || !got.bodyContains("\"serial\":\(serial),")) {
                        st.stale += 1
                        errors.add(kind: "GetObject state: stale read",
                                   detail: "GetObject state after PUT of serial \(serial) returned HTTP \(got.status) without it")
                        ok = false
                    }
                } else {
                    ok = false
                }

                serial += 1
                let state = ByteBuffer(string: template.prefix + String(serial) + template.suffix)
                r = await client.send(S3Request("PUT", bucket: bucket, key: stateKey, headers: json, body: .bytes(state)))
                if errors.check("PutObject state", r, ok: [200]) {
                    st.steps["state_put", default: []].append(r.nanoseconds)
                } else {
                    ok = false
                    serial -= 1  // the server does not have it
                }

                if unlockCheck {
                    r = await client.send(S3Request("GET", bucket: bucket, key: lockKey))
                    if errors.check("GetObject lock", r, ok: [200]), case .success(let got) = r {
                        st.steps["lock_get", default: []].append(got.nanoseconds)
                        if !got.bodyContains(id) {
                            errors.add(kind: "GetObject lock: foreign ID", detail: "lock file does not hold our lock ID")
                            ok = false
                        }
                    } else {
                        ok = false
                    }
                }

                r = await client.send(S3Request("DELETE", bucket: bucket, key: lockKey))
                if errors.check("DeleteObject lock", r) {
                    st.steps["lock_delete", default: []].append(r.nanoseconds)
                } else {
                    ok = false
                }
                if ok { st.cycles.append(Monotonic.now() - t0) }
            }
            return st
        }
        let elapsed = Monotonic.seconds(since: start)

        let cycles = perWorker.flatMap(\.cycles)
        var o = common.header("lock-cycle", bucket: bucket)
        o.add("concurrency", concurrency)
        o.add("state_size", template.prefix.utf8.count + template.suffix.utf8.count + 1)
        o.add("requests_per_cycle", steps.count)
        o.add("duration_s", elapsed)
        o.add("cycles", cycles.count)
        o.add("cycles_per_s", Double(cycles.count) / elapsed)
        o.add("cycle_ms", LatencyStats.summary(cycles))
        var stepObject = JSONObject()
        for step in steps {
            stepObject.add(step, LatencyStats.summary(perWorker.flatMap { $0.steps[step] ?? [] }))
        }
        o.add("step_ms", stepObject)
        o.add("stale_reads", perWorker.reduce(Int64(0)) { $0 + $1.stale })
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(setup, options: common, bucket: bucket, versioned: false, into: &o)
        Log.emit(o)
    }
}
