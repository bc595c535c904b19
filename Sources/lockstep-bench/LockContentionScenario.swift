import ArgumentParser
import NIOCore

/// C workers race for one lock with PUT If-None-Match: *. A winner reads the lock back (it must hold the winner's own
/// ID), holds it for -hold, and deletes it. Mutual exclusion is checked afterwards from the timestamps each worker
/// records: when its winning PUT's answer arrived, and just before it sent its DELETE. That interval lies inside the
/// time the server held the lock for it, so two intervals that overlap mean two holders at once.
struct LockContentionScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock-contention", abstract: "C workers race for one lock (If-None-Match: *); checks mutual exclusion.")

    @OptionGroup var common: CommonOptions

    @Option(name: [.customShort("c"), .customLong("concurrency")], help: "Workers competing for the one lock.")
    var concurrency = 8

    @Option(name: .bench("hold"), help: "How long a winner holds the lock.")
    var hold = GoDuration(milliseconds: 5)

    @Option(name: .bench("backoff"), help: "Pause after a lost attempt (412/409).")
    var backoff = GoDuration(milliseconds: 1)

    @Option(name: .bench("duration"), help: "Measurement time.")
    var duration = GoDuration(seconds: 10)

    @Option(name: .bench("max-attempts"), help: "Stop after this many lock PUTs (0: time only).")
    var maxAttempts: Int64 = 0

    @Option(name: .bench("key"), help: "State key; the contested lock is KEY.tflock.")
    var key = "state"

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("-c must be >= 1") }
    }

    private struct Hold: Sendable {
        var worker: Int
        var acquired: UInt64
        var released: UInt64
    }

    private struct WorkerStats: Sendable {
        var attempts: Int64 = 0
        var holds: [Hold] = []
        var busy412: Int64 = 0
        var conflict409: Int64 = 0
        var foreignBody: Int64 = 0
        var firstForeign: String?
        var waits: [UInt64] = []
        var putLatency: [UInt64] = []
    }

    func run() async throws {
        let config = try common.configuration()
        let setup = S3Client(config)
        defer { setup.close() }
        let bucket = try await BucketLifecycle.setUp(setup, options: common, scenario: "lock-contention")
        let (baseKey, lockKey, run) = (key, key + ".tflock", randomHex(4))
        let (holdTime, backoffTime) = (hold, backoff)
        let errors = ErrorTally()
        var o = common.header("lock-contention", bucket: bucket)
        o.add("concurrency", concurrency)
        o.add("hold_ms", hold.milliseconds)
        o.add("backoff_ms", backoff.milliseconds)

        // Does the server honour If-None-Match: * at all? A fresh key PUT twice: the second must be 412.
        let json = [("Content-Type", "application/json")]
        let probeKey = "probe-\(run).tflock"
        func probe() async -> Result<S3Response, Error> {
            await setup.send(S3Request("PUT", bucket: bucket, key: probeKey, headers: [("If-None-Match", "*")] + json,
                                       body: .bytes(ByteBuffer(bytes: TerraformDocuments.lockInfo(id: TerraformDocuments.uuid(), path: bucket + "/probe")))))
        }
        let first = await probe(), second = await probe()
        var supported = JSONValue.null
        if case .success(let a) = first, case .success(let b) = second, a.status == 200 {
            if b.status == 412 { supported = .bool(true) } else if (200..<300).contains(b.status) { supported = .bool(false) }
            o.add("if_none_match_probe_status", [a.status, b.status])
        } else {
            errors.check("PutObject probe", first, ok: [200])
        }
        o.add("if_none_match_supported", supported)
        _ = await setup.send(S3Request("DELETE", bucket: bucket, key: probeKey))

        let budget = OperationBudget(limit: maxAttempts)
        let sampler = ServerSampler(pid: common.serverPID)
        let deadline = Deadline(after: duration)
        let start = Monotonic.now()
        let perWorker = await runWorkers(concurrency) { w -> WorkerStats in
            let client = S3Client(config)
            defer { client.close() }
            var st = WorkerStats()
            var waitStart: UInt64?
            var n = 0
            while !deadline.passed && budget.take() {
                st.attempts += 1
                if waitStart == nil { waitStart = Monotonic.now() }
                let id = "lockstep-bench-\(run)-w\(zeroPadded(w, 3))-\(zeroPadded(n, 7))-\(randomHex(4))"
                n += 1
                let body = TerraformDocuments.lockInfo(id: id, path: bucket + "/" + baseKey)
                let put = await client.send(S3Request("PUT", bucket: bucket, key: lockKey, headers: [("If-None-Match", "*")] + json,
                                                      body: .bytes(ByteBuffer(bytes: body))))
                guard case .success(let r) = put else {
                    errors.check("PutObject lock", put)
                    await pause(backoffTime)
                    continue
                }
                st.putLatency.append(r.nanoseconds)
                switch r.status {
                case 200:
                    let acquired = Monotonic.now()
                    st.waits.append(acquired - (waitStart ?? acquired))
                    waitStart = nil
                    let get = await client.send(S3Request("GET", bucket: bucket, key: lockKey))
                    if errors.check("GetObject lock", get, ok: [200, 404]), case .success(let g) = get,
                       g.status == 404 || !g.bodyContains(id) {
                        st.foreignBody += 1
                        if st.firstForeign == nil {
                            st.firstForeign = "worker \(w) holds the lock but GET returned HTTP \(g.status) with body \(g.bodyText(limit: 200))"
                        }
                    }
                    await pause(holdTime)
                    // Leave the critical section before the DELETE is sent.
                    st.holds.append(Hold(worker: w, acquired: acquired, released: Monotonic.now()))
                    errors.check("DeleteObject lock", await client.send(S3Request("DELETE", bucket: bucket, key: lockKey)))
                case 412:
                    st.busy412 += 1
                    await pause(backoffTime)
                case 409:
                    st.conflict409 += 1
                    await pause(backoffTime)
                default:
                    errors.check("PutObject lock", put, ok: [200, 412, 409])
                    await pause(backoffTime)
                }
            }
            return st
        }
        let elapsed = Monotonic.seconds(since: start)

        let (overlaps, firstOverlap) = LockContentionScenario.overlaps(perWorker.flatMap(\.holds))
        let foreign = perWorker.reduce(Int64(0)) { $0 + $1.foreignBody }
        let acquisitions = perWorker.map { $0.holds.count }
        let total = acquisitions.reduce(0, +)
        o.add("duration_s", elapsed)
        o.add("attempts", perWorker.reduce(Int64(0)) { $0 + $1.attempts })
        o.add("acquisitions", total)
        o.add("acquisitions_per_s", Double(total) / elapsed)
        o.add("precondition_failed_412", perWorker.reduce(Int64(0)) { $0 + $1.busy412 })
        o.add("conflict_409", perWorker.reduce(Int64(0)) { $0 + $1.conflict409 })
        o.add("violations", Int64(overlaps) + foreign)
        o.add("violations_overlap", overlaps)
        o.add("violations_foreign_body", foreign)
        if let violation = firstOverlap ?? perWorker.compactMap(\.firstForeign).first {
            o.add("first_violation", violation)
            Log.error("violation: " + violation)
        }
        var spread = JSONObject()
        spread.add("min", acquisitions.min() ?? 0)
        spread.add("max", acquisitions.max() ?? 0)
        o.add("acquisitions_per_worker", spread)
        o.add("acquire_wait_ms", LatencyStats.summary(perWorker.flatMap(\.waits)))
        o.add("lock_put_ms", LatencyStats.summary(perWorker.flatMap(\.putLatency)))
        errors.report(into: &o)
        await sampler.finish(into: &o)
        await BucketLifecycle.finish(setup, options: common, bucket: bucket, versioned: false, into: &o)
        Log.emit(o)
    }

    /// Holds that began while an earlier hold (by start time) had not yet ended, and a description of the first.
    private static func overlaps(_ holds: [Hold]) -> (Int, String?) {
        var count = 0
        var first: String?
        var latest: Hold?
        for h in holds.sorted(by: { $0.acquired < $1.acquired }) {
            if let l = latest, h.acquired < l.released {
                count += 1
                if first == nil {
                    first = "worker \(h.worker) acquired the lock \(round3(Double(l.released - h.acquired) / 1e6)) ms before worker \(l.worker) released it"
                }
            }
            if latest == nil || h.released > latest!.released { latest = h }
        }
        return (count, first)
    }
}
