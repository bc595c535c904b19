import ArgumentParser
import NIOCore

/// wait-ready: exit 0 once a signed ListBuckets answers 200 (for scripts that start a server).
struct WaitReady: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait-ready", abstract: "Poll ListBuckets until the endpoint answers 200.")

    @OptionGroup var common: CommonOptions

    @Option(name: .bench("max-wait"), help: "Give up after this long.")
    var maxWait = GoDuration(seconds: 60)

    @Option(name: .bench("poll"), help: "Polling interval.")
    var poll = GoDuration(milliseconds: 2)

    func run() async throws {
        let client = S3Client(try common.configuration(defaultTimeout: GoDuration(seconds: 2)))
        defer { client.close() }
        let start = Monotonic.now()
        var last = ""
        while Monotonic.now() - start < maxWait.nanoseconds {
            switch await client.send(S3Request("GET")) {
            case .success(let r) where r.status == 200:
                Log.info("lockstep-bench: \(common.endpoint) ready after \(round3(Monotonic.seconds(since: start))) s")
                return
            case .success(let r):
                last = "HTTP \(r.status): \(r.bodyText(limit: 300))"
            case .failure(let error):
                last = "\(error)"
            }
            await pause(poll)
        }
        throw ValidationError("\(common.endpoint) not ready after \(maxWait): \(last)")
    }
}

/// wait-quiet: wait until the machine's CPUs are mostly idle (a shared machine), exit 1 on giving up.
struct WaitQuiet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait-quiet", abstract: "Wait until the CPUs are mostly idle.")

    @Option(name: .bench("max-busy"), help: "Busy fraction of all CPUs (steal included) that counts as quiet.")
    var maxBusy = 0.15

    @Option(name: .bench("window"), help: "Measurement window.")
    var window = GoDuration(seconds: 3)

    @Option(name: .bench("max-wait"), help: "Give up after this long.")
    var maxWait = GoDuration(seconds: 300)

    func run() async throws {
        let cpus = Double(max(1, System.coreCount))
        let start = Monotonic.now()
        while true {
            let a = ProcFS.machineTicks(), t0 = Monotonic.now()
            try await Task.sleep(for: window.duration)
            let b = ProcFS.machineTicks(), seconds = Monotonic.seconds(since: t0)
            guard let a, let b else { return }
            let busy = Double(b.busy - a.busy + b.steal - a.steal) / ProcFS.clockTicksPerSecond / seconds / cpus
            if busy <= maxBusy {
                Log.info("lockstep-bench: machine quiet (\(Int(busy * 100))% busy) after \(Int(Monotonic.seconds(since: start))) s")
                return
            }
            if Monotonic.now() - start > maxWait.nanoseconds {
                Log.info("lockstep-bench: machine still \(Int(busy * 100))% busy after \(maxWait); going on anyway")
                throw ExitCode(1)
            }
        }
    }
}
