import ArgumentParser

/// `lockstep logs flush`: deliver every pending server access log record now.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Server access logs of a running server.", subcommands: [Flush.self])

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver every pending access log record to its target bucket now; print each object written.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let result = try await server.client().call("POST", "/_lockstep/logs/flush")
            let delivered = result["delivered"] as? [[String: Any]] ?? []
            for object in delivered {
                Swift.print("s3://\(object["bucket"] as? String ?? "")/\(object["key"] as? String ?? "")")
            }
            let pending = result["pending"] as? Int ?? 0
            if delivered.isEmpty && pending == 0 { Swift.print("nothing to deliver") }
            if pending > 0 { Swift.print("\(pending) records still pending: their target bucket refused them (see the server log)") }
        }
    }
}
