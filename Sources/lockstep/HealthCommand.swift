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

    func run() async throws {
        // ServerOptions resolves flags, environment and defaults exactly as the other server commands do.
        var server = try ServerOptions.parse([])
        server.address = address
        server.port = port
        let client = try server.client()
        // In a container LOCKSTEP_ADDRESS is the wildcard the server listens on; the check connects over loopback.
        let host = switch client.host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: client.host
        }
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

    /// Exit 1, not the usage-error 2 of the other commands: a health check only distinguishes healthy from not.
    static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("lockstep: unhealthy: \(reason)\n".utf8))
        Foundation.exit(1)
    }
}
