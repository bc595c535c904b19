import ArgumentParser
import Foundation
import LockstepServer
import SigV4

/// Where a running server is and how to sign for it: the same flags and environment as `serve`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address of the server (env LOCKSTEP_ADDRESS, default 127.0.0.1).") var address: String?
    @Option(help: "Port of the server (env LOCKSTEP_PORT, default 9000).") var port: Int?
    @Option(name: .customLong("access-key"), help: "Access key id (env LOCKSTEP_ACCESS_KEY).") var accessKey: String?
    @Option(name: .customLong("secret-key"), help: "Secret access key (env LOCKSTEP_SECRET_KEY).") var secretKey: String?
    @Option(help: "Region to sign for (env LOCKSTEP_REGION, default us-east-1).") var region: String?

    func client() throws -> AdminClient {
        let env = ProcessInfo.processInfo.environment
        let defaults = ServerConfiguration()
        let host = address ?? env["LOCKSTEP_ADDRESS"] ?? defaults.address
        let portNumber: Int
        if let port {
            portNumber = port
        } else if let text = env["LOCKSTEP_PORT"] {
            guard let value = Int(text), (1...65535).contains(value) else { throw ValidationError("LOCKSTEP_PORT must be a port number") }
            portNumber = value
        } else {
            portNumber = defaults.port
        }
        let accessKey = accessKey ?? env["LOCKSTEP_ACCESS_KEY"] ?? ServerConfiguration.defaultAccessKey
        let secretKey = secretKey ?? env["LOCKSTEP_SECRET_KEY"] ?? ServerConfiguration.defaultSecretKey
        let signer = SigV4Signer(accessKey: accessKey, secretKey: secretKey, region: region ?? env["LOCKSTEP_REGION"] ?? defaults.region, service: "s3")
        return AdminClient(host: host, port: portNumber, signer: signer)
    }
}

struct AdminClientError: Error, CustomStringConvertible {
    let description: String
}

/// Calls the admin API of a running server, signed as an S3 request.
struct AdminClient {
    let host: String
    let port: Int
    let signer: SigV4Signer

    /// `host:port` as it appears in a URL or a Host header.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The status and body of a request to the Terraform `http` backend, with Basic credentials (the signer's keys).
    func callHTTPBackend(_ method: String, _ path: String, body: Data) async throws -> (status: Int, body: String) {
        let credentials = Data("\(signer.accessKey):\(signer.secretKey)".utf8).base64EncodedString()
        do {
            let answer = try await HTTPExchange.perform(
                host: host, port: port, method: method, target: path,
                headers: [("Content-Type", "application/json"), ("Authorization", "Basic \(credentials)")],
                body: Array(body), timeout: .seconds(60))
            return (answer.status, String(decoding: answer.body, as: UTF8.self))
        } catch {
            throw AdminClientError(description: "cannot reach a Lockstep server at \(authority): \(error)")
        }
    }

    /// The JSON answer of `method path?query`; a refusal or an unreachable server is one clear error line.
    func call(_ method: String, _ path: String, query: String = "") async throws -> [String: Any] {
        let unsigned = SignableRequest(method: method, rawPath: path, rawQuery: query, headers: [("Host", authority)])
        let signed = signer.sign(unsigned, date: Date())
        let status: Int, data: Data
        do {
            // A lifecycle pass over a large store takes as long as it takes: an hour before giving up.
            let answer = try await HTTPExchange.perform(
                host: host, port: port, method: method, target: path + (query.isEmpty ? "" : "?" + query),
                headers: signed.request.headers.filter { $0.0.lowercased() != "host" }, body: [], timeout: .seconds(3600))
            (status, data) = (answer.status, Data(answer.body))
        } catch {
            throw AdminClientError(description: "cannot reach a Lockstep server at \(authority): \(error)")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if status == 200 { return object }
            throw AdminClientError(description: "\(object["message"] as? String ?? "the server answered \(status)")")
        }
        let text = String(decoding: data, as: UTF8.self)
        if let code = text.range(of: "<Code>").flatMap({ start in text.range(of: "</Code>").map { text[start.upperBound..<$0.lowerBound] } }) {
            throw AdminClientError(description: "the server refused the request (\(status) \(code)); check --access-key and --secret-key")
        }
        throw AdminClientError(description: "unexpected answer from \(authority): \(status)")
    }
}
