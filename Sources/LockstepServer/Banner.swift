import Foundation
import KeyService

/// What `serve` prints once listening: one JSON line for programs, then a banner for people.
enum Banner {
    static func print(configuration: ServerConfiguration, port: Int, dataDirectory: String, rootKey: RootKey.Source) {
        let endpoint = "http://\(configuration.address.contains(":") ? "[\(configuration.address)]" : configuration.address):\(port)"
        let ready: [String: Any] = [
            "event": "ready", "endpoint": endpoint, "port": port, "accessKey": configuration.accessKey,
            "secretKey": configuration.secretKey, "region": configuration.region, "dataDir": dataDirectory,
            "ephemeral": configuration.ephemeral,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: ready, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var text = String(decoding: json, as: UTF8.self) + "\n"
        text += """

            Lockstep is serving S3 at \(endpoint)
              access key: \(configuration.accessKey)
              secret key: \(configuration.secretKey)
              region:     \(configuration.region)
              data dir:   \(dataDirectory)\(configuration.ephemeral ? " (ephemeral: removed on exit)" : "")
              root key:   \(rootKey.origin)\(rootKeyAdvice(rootKey))
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
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func rootKeyAdvice(_ source: RootKey.Source) -> String {
        if case .generated = source { return " (new; keep it: encrypted objects cannot be read without it)" }
        return ""
    }
}
