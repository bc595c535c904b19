import ArgumentParser
import Foundation

/// `lockstep health`: whether a running server answers `GET /_lockstep/health` with 200 `{"status":"ok"}`.
/// It is the container image's HEALTHCHECK, since the runtime image has no curl: exit 0 and `ok`, or exit 1 and one line.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that a running server is healthy: exit 0 and print ok, or exit 1 with the reason.")

    // Only where the server is: the check is unsigned, so the credential flags of the other commands do not apply.
    @Option(help: "Address of the server (env LOCKSTEP_ADDRESS, default 127.0.0.1).") var address: String?
    @Option(help: "Port of the server (env LOCKSTEP_PORT, default 9000).") var port: Int?

    static let path = "/_lockstep/health"

    /// A usage error (exit 2, as for every command); only an unhealthy server exits 1.
    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() async throws {
        // ServerOptions resolves flags, environment and defaults exactly as the other server commands do (a bad
        // LOCKSTEP_PORT is a usage error).
        var server = try ServerOptions.parse([])
        server.address = address
        server.port = port
        let client = try server.client()
        let host = Self.connectableHost(client.host)
        let authority = AdminClient(host: host, port: client.port, signer: client.signer).authority
        let answer: (status: Int, body: [UInt8])
        do {
            // Shorter than the image's HEALTHCHECK timeout, so a hung server is reported in this command's own words.
            answer = try await HTTPExchange.perform(
                host: host, port: client.port, method: "GET", target: Self.path, headers: [], body: [], timeout: .seconds(5))
        } catch {
            Self.fail("cannot reach a Lockstep server at \(authority): \(error)")
        }
        guard answer.status == 200 else { Self.fail("\(authority) answered \(answer.status) to GET \(Self.path)") }
        let document = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        guard document?["status"] as? String == "ok" else {
            Self.fail("\(authority) answered 200 to GET \(Self.path) without {\"status\":\"ok\"}")
        }
        print("ok")
    }

    /// In a container LOCKSTEP_ADDRESS is the wildcard the server listens on, in any spelling (`::`,
    /// `0:0:0:0:0:0:0:0`); the check connects to it over loopback.
    static func connectableHost(_ host: String) -> String {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return v4.s_addr == 0 ? "127.0.0.1" : host }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { $0.allSatisfy { $0 == 0 } } ? "::1" : host }
        return host
    }

    /// Exit 1, not the usage-error 2 of the other commands: a health check only distinguishes healthy from not.
    static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("lockstep: unhealthy: \(reason)\n".utf8))
        Foundation.exit(1)
    }
}
