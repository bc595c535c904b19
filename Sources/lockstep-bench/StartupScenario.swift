import ArgumentParser
import Foundation
import NIOCore

/// Start-up: exec the server command N times, time until the first signed ListBuckets answers 200 (polled), take the
/// server's resident memory right then, and stop it with SIGTERM (SIGKILL after 5 s).
struct StartupScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup", abstract: "Exec a server command N times; time to the first ListBuckets, RSS, SIGTERM to exit.",
        discussion: "Use the server binary itself (not `swift run` or a wrapper that forks) and a port below the kernel's ephemeral range.")

    @OptionGroup var common: CommonOptions

    @Option(name: .bench("cmd"), help: "Server command, run as `sh -c 'exec CMD'`; {port} is replaced by -port.")
    var command: String

    @Option(name: .bench("port"), help: "Port the server listens on (the endpoint is http://127.0.0.1:PORT).")
    var port: Int

    @Option(name: .customShort("n"), help: "Number of starts.")
    var starts = 10

    @Option(name: .bench("poll"), help: "ListBuckets polling interval.")
    var poll = GoDuration(milliseconds: 2)

    @Option(name: .bench("start-timeout"), help: "Give up on one start after this long.")
    var startTimeout = GoDuration(seconds: 60)

    @Option(name: .bench("server-log"), help: "Append the server's stdout and stderr to this file (default: discarded).")
    var serverLog: String?

    @Option(name: .bench("allow-ephemeral-port"), help: "Allow a -port inside the kernel's ephemeral range.")
    var allowEphemeralPort = false

    func validate() throws {
        guard (1...65535).contains(port), starts >= 1 else { throw ValidationError("startup needs -cmd, -port and -n >= 1") }
        if let range = ProcFS.ephemeralPortRange(), range.contains(port), !allowEphemeralPort {
            // An outgoing connection may take that port as its source port while the server is down, and the server
            // then fails to bind.
            throw ValidationError("-port \(port) is inside the ephemeral port range \(range.lowerBound)-\(range.upperBound); pick a port below it (or -allow-ephemeral-port=true)")
        }
    }

    func run() async throws {
        var options = common
        options.endpoint = Endpoint.loopback(port: port).url
        let config = try options.configuration(defaultTimeout: GoDuration(seconds: 2))
        let resolved = command.replacingOccurrences(of: "{port}", with: String(port))
        var o = options.header("startup", bucket: nil)
        let errors = ErrorTally()
        let sampler = ServerSampler(pid: 0)  // server CPU: the reaped servers' own usage
        var ready: [UInt64] = []
        var shutdown: [UInt64] = []
        var rss: [Int64] = []
        var polls: [Int] = []
        for i in 1...starts {
            guard await StartupScenario.waitPortFree(config.endpoint, limitSeconds: 10) else {
                errors.add(kind: "port busy", detail: "port \(port) is already in use before start \(i)")
                break
            }
            let client = S3Client(config)
            let t0 = Monotonic.now()
            let server = try ServerProcess.spawn(command: resolved, logPath: serverLog)
            var ok = false, early = false
            var attempts = 0
            var lastStatus = ""
            while Monotonic.now() - t0 < startTimeout.nanoseconds {
                if server.hasExited() {
                    early = true
                    break
                }
                attempts += 1
                switch await client.send(S3Request("GET")) {
                case .success(let r) where r.status == 200:
                    ok = true
                case .success(let r):
                    lastStatus = "HTTP \(r.status): \(r.bodyText(limit: 300))"
                case .failure(let error):
                    lastStatus = "\(error)"
                }
                if ok { break }
                await pause(poll)
            }
            let elapsed = Monotonic.now() - t0
            if ok {
                ready.append(elapsed)
                polls.append(attempts)
                if let kib = ProcFS.statusKiB(pid: server.pid, field: "VmRSS") { rss.append(kib) }
            } else if early {
                errors.add(kind: "exited before ready", detail: "start \(i): server exited before answering ListBuckets (\(server.exitDescription ?? "?"))")
            } else {
                errors.add(kind: "not ready", detail: "start \(i): not ready after \(startTimeout); last: \(lastStatus)")
            }
            client.close()
            let stopStart = Monotonic.now()
            await server.stop()
            if ok { shutdown.append(Monotonic.now() - stopStart) }
            sampler.externalServerSeconds.withLock { $0 += server.cpuSeconds }
            Log.info("startup \(i)/\(starts): ready=\(ok) in \(round3(Monotonic.ms(elapsed))) ms")
        }

        o.add("cmd", resolved)
        o.add("runs", starts)
        o.add("ok", ready.count)
        if !ready.isEmpty {
            let sorted = ready.sorted()
            var r = JSONObject()
            r.add("min", Monotonic.ms(sorted[0]))
            r.add("median", Monotonic.ms(LatencyStats.median(ready)!))
            r.add("max", Monotonic.ms(sorted[sorted.count - 1]))
            o.add("ready_ms", r)
            o.add("ready_samples_ms", ready.map { Monotonic.ms($0) })
            o.add("polls_median", LatencyStats.median(polls)!)
            o.add("shutdown_ms_median", Monotonic.ms(LatencyStats.median(shutdown) ?? 0))
        }
        if !rss.isEmpty {
            let sorted = rss.sorted()
            var m = JSONObject()
            m.add("min", mib(sorted[0]))
            m.add("median", mib(LatencyStats.median(rss)!))
            m.add("max", mib(sorted[sorted.count - 1]))
            o.add("rss_after_ready_mib", m)
        }
        errors.report(into: &o)
        await sampler.finish(into: &o)
        Log.emit(o)
    }

    /// True once nothing accepts connections on the endpoint (the previous server is gone).
    static func waitPortFree(_ endpoint: Endpoint, limitSeconds: Double) async -> Bool {
        let deadline = Monotonic.now() + UInt64(limitSeconds * 1e9)
        while true {
            guard let connection = try? await HTTPConnection.connect(host: endpoint.host, port: endpoint.port, timeout: .milliseconds(200)) else {
                return true
            }
            connection.close()
            if Monotonic.now() >= deadline { return false }
            await pause(GoDuration(milliseconds: 50))
        }
    }
}
