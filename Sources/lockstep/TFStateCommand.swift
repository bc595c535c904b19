import ArgumentParser
import Foundation
import SigV4

/// `lockstep tfstate unlock BUCKET KEY ID`: releases a Terraform state lock held through the `http` backend (or the s3
/// backend's `use_lockfile`, which is the same `.tflock` object), if ID is the holder's. Terraform's own
/// `force-unlock` cannot name the lock to an `http` backend (hashicorp/terraform#28421); this can.
struct TFState: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tfstate", abstract: "Terraform states on a running server.",
                                                    subcommands: [Unlock.self])

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release the lock on a Terraform state if ID is its holder's (the ID Terraform printed with the lock).")
        @Argument(help: "The state's bucket.") var bucket: String
        @Argument(help: "The state's object key (without .tflock).") var key: String
        @Argument(help: "The lock's ID.") var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let path = "/_lockstep/tfstate/" + ([bucket] + key.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
                .map { sigV4URIEncode($0, encodeSlash: true) }.joined(separator: "/")
            let body = try JSONSerialization.data(withJSONObject: ["ID": id])
            let (status, answer) = try await server.client().callHTTPBackend("UNLOCK", path, body: body)
            switch status {
            case 200:
                Swift.print("unlocked \(bucket)/\(key)")
            case 409:
                let holder = (try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])?["ID"] as? String
                throw AdminClientError(description: "the lock on \(bucket)/\(key) is held by \(holder ?? "another lock"), not \(id); nothing was released")
            case 401, 403:
                throw AdminClientError(description: "the server refused the credentials (\(status)); check --access-key and --secret-key")
            default:
                throw AdminClientError(description: "the server answered \(status): \(answer.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }
}
