import Foundation
import KeyService

/// What `serve` prints once listening: one JSON line for programs, then a banner for people.
enum Banner {
    static func print(configuration: ServerConfiguration, port: Int, dataDirectory: String, rootKey: RootKey.Source) {
        let banner = text(configuration: configuration, port: port, dataDirectory: dataDirectory, rootKey: rootKey)
        FileHandle.standardOutput.write(Data(banner.utf8))
    }

    static func text(configuration: ServerConfiguration, port: Int, dataDirectory: String, rootKey: RootKey.Source) -> String {
        let endpoint = Self.endpoint(address: configuration.address, port: port)
        let ready: [String: Any] = [
            "event": "ready", "endpoint": endpoint, "port": port, "accessKey": configuration.accessKey,
            "secretKey": configuration.secretKey, "region": configuration.region, "dataDir": dataDirectory,
            "ephemeral": configuration.ephemeral,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: ready, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var text = String(decoding: json, as: UTF8.self) + "\n"
        text += """

            Lockstep is serving S3 at \(endpoint)\(listeningNote(address: configuration.address, port: port))
              access key: \(configuration.accessKey)
              secret key: \(configuration.secretKey)
              region:     \(configuration.region)
              data dir:   \(dataDirectory)\(configuration.ephemeral ? " (ephemeral: removed on exit)" : "")
              root key:   \(rootKey.origin)\(rootKeyAdvice(rootKey, ephemeral: configuration.ephemeral))
              KMS API:    \(endpoint) (aws kms --endpoint-url \(endpoint) ...)

            Terraform (>= 1.10) backend block for this endpoint:

              terraform {
                backend "s3" {
                  bucket = "tfstate"
                  key    = "project/terraform.tfstate"
                  region = "\(configuration.region)"
                  endpoints = {
                    s3 = "\(endpoint)"
                  }
                  use_path_style              = true
                  access_key                  = "\(configuration.accessKey)"
                  secret_key                  = "\(configuration.secretKey)"
                  skip_credentials_validation = true
                  skip_requesting_account_id  = true
                  skip_metadata_api_check     = true
                  skip_region_validation      = true
                  use_lockfile                = true
                }
              }


            """
        return text
    }

    /// The URL clients use. A wildcard is no address to connect to (some clients refuse it), so loopback, which the
    /// wildcard covers, stands in for it.
    static func endpoint(address: String, port: Int) -> String {
        let host = isWildcard(address) ? (address.contains(":") ? "::1" : "127.0.0.1") : address
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    static func isWildcard(_ address: String) -> Bool {
        ["0.0.0.0", "::", "0:0:0:0:0:0:0:0"].contains(address)
    }

    /// Says where the server really listens when the endpoint shows loopback instead.
    static func listeningNote(address: String, port: Int) -> String {
        guard isWildcard(address) else { return "" }
        return ", listening on all interfaces (\(address.contains(":") ? "[\(address)]" : address):\(port))"
    }

    static func rootKeyAdvice(_ source: RootKey.Source, ephemeral: Bool = false) -> String {
        guard case .generated = source else { return "" }
        // An ephemeral run's key goes with its data dir: there is nothing to keep it for.
        if ephemeral { return " (for this run only; removed on exit with the data dir)" }
        return " (new; keep it: encrypted objects cannot be read without it)"
    }
}
