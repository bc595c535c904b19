/// Measures the timed part of a scenario: where the machine's CPU went (this client, the server when its PID is
/// known, hypervisor steal, everything else) and the server's resident memory, sampled every 20 ms. The `cpu_s` and
/// `server_rss_*` fields, as s3bench reports them: `cpu_s.other` above a few percent of `wall` means something else
/// was running and the figures are suspect.
final class ServerSampler: Sendable {
    private struct Snapshot {
        var at: UInt64
        var busy: Int64
        var steal: Int64
        var server: Int64
        var client: Double

        static func take(pid: Int32) -> Snapshot {
            let machine = ProcFS.machineTicks()
            return Snapshot(at: Monotonic.now(), busy: machine?.busy ?? 0, steal: machine?.steal ?? 0,
                            server: pid > 0 ? ProcFS.processTicks(pid: pid) ?? 0 : 0, client: ownCPUSeconds())
        }
    }

    private struct Memory {
        var start: Int64 = 0
        var peak: Int64 = 0
        var stopped = false
    }

    private let pid: Int32
    private let first: Snapshot
    private let memory: Locked<Memory>
    private let task: Task<Void, Never>?
    /// Server CPU measured elsewhere (startup: the reaped servers' own usage).
    let externalServerSeconds = Locked(0.0)

    init(pid: Int32) {
        self.pid = pid
        first = Snapshot.take(pid: pid)
        let memory = Locked(Memory())
        self.memory = memory
        guard pid > 0 else {
            task = nil
            return
        }
        let start = ProcFS.statusKiB(pid: pid, field: "VmRSS") ?? 0
        memory.withLock { $0.start = start; $0.peak = start }
        task = Task.detached {
            while !memory.withLock({ $0.stopped }) {
                if let rss = ProcFS.statusKiB(pid: pid, field: "VmRSS") {
                    memory.withLock { $0.peak = max($0.peak, rss) }
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func finish(into o: inout JSONObject) async {
        memory.withLock { $0.stopped = true }
        await task?.value
        let last = Snapshot.take(pid: pid)
        let ticks = ProcFS.clockTicksPerSecond
        let client = last.client - first.client
        var other = Double(last.busy - first.busy) / ticks - client
        var cpu = JSONObject()
        cpu.add("wall", Double(last.at - first.at) / 1e9)
        cpu.add("client", client)
        let external = externalServerSeconds.current
        if pid > 0 {
            let server = Double(last.server - first.server) / ticks
            cpu.add("server", server)
            other -= server
        } else if external > 0 {
            cpu.add("server", external)
            other -= external
        }
        cpu.add("other", max(0, other))  // jiffy rounding can make it negative
        cpu.add("steal", Double(last.steal - first.steal) / ticks)
        o.add("cpu_s", cpu)
        guard pid > 0 else { return }
        guard let end = ProcFS.statusKiB(pid: pid, field: "VmRSS") else {
            o.add("server_rss_error", "cannot read /proc/\(pid)/status")
            return
        }
        let m = memory.current
        let hwm = ProcFS.statusKiB(pid: pid, field: "VmHWM") ?? 0
        o.add("server_pid", Int(pid))
        o.add("server_rss_start_mib", mib(m.start))
        o.add("server_rss_peak_mib", mib(max(m.peak, end)))
        o.add("server_rss_end_mib", mib(end))
        o.add("server_vmhwm_mib", mib(hwm))  // lifetime high-water mark of the process
    }
}

func mib(_ kib: Int64) -> Double { Double(kib) / 1024 }
