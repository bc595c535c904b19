import FrontDoors
import KeyService

/// `/_lockstep/console/keys`: the key hierarchy — the root key that seals the keyring, the KMS keys in it with their
/// aliases, state, rotation and material versions, and how many object versions each protects. Never key material.
struct KeysPage {
    let console: ConsoleFrontDoor
    let session: ConsoleSession

    struct Key: Codable {
        var keyId: String
        var arn: String
        var aliases: [String]
        var description: String
        var state: String
        var manager: String
        var created: String
        var deletionDate: String?
        var rotationEnabled: Bool
        var materialVersions: [Int]
        var objectVersions: Int
    }

    struct Model: Codable {
        var rootKey: String
        var keys: [Key]
    }

    func model() async -> Model {
        let keyring = console.s3.keyring
        let aliases = keyring.aliases
        let usage = (try? await console.s3.store.versionsByEncryptionKey()) ?? [:]
        let region = console.s3.configuration.region
        let keys = keyring.keys.sorted { $0.createdMillis < $1.createdMillis }.map { key in
            Key(keyId: key.id, arn: LockstepAccount.keyARN(region: region, keyId: key.id),
                aliases: aliases.filter { $0.value == key.id }.map(\.key).sorted(), description: key.description,
                state: key.state.rawValue, manager: key.isServiceKey == true ? "Lockstep (SSE-S3)" : (key.isAWSManaged ? "AWS" : "Customer"),
                created: ConsoleResponses.time(key.createdMillis), deletionDate: key.deletionMillis.map(ConsoleResponses.time),
                rotationEnabled: key.rotationEnabled, materialVersions: key.materials.map(\.version), objectVersions: usage[key.id] ?? 0)
        }
        return Model(rootKey: console.rootKeyOrigin, keys: keys)
    }

    func response(api: Bool) async -> APIResponse {
        let model = await model()
        if api { return ConsoleResponses.json(model) }
        var body = """
            <h1>Keys</h1>
            <div class="card"><h3>Root key</h3><p>Seals the keyring below; <span class="mono" id="root-key">\(HTML.escape(model.rootKey))</span>.</p>\
            <p class="muted">Each KMS key wraps a fresh data key per object version; the data key seals the object's body.</p></div>
            <h2>KMS keys</h2>
            <table id="kms-keys"><thead><tr><th>Key ID</th><th>Aliases</th><th>Manager</th><th>State</th><th>Rotation</th>\
            <th>Material versions</th><th>Created</th><th class="num">Object versions protected</th></tr></thead><tbody>
            """
        for key in model.keys {
            let state = key.state + (key.deletionDate.map { " (deletion \($0))" } ?? "")
            body += """
                <tr data-key-id="\(HTML.escape(key.keyId))"><td class="mono">\(HTML.escape(key.keyId))\
                \(key.description.isEmpty ? "" : "<br><span class=\"muted\">\(HTML.escape(key.description))</span>")</td>\
                <td class="mono aliases">\(key.aliases.map(HTML.escape).joined(separator: "<br>"))</td><td>\(HTML.escape(key.manager))</td>\
                <td>\(HTML.escape(state))</td><td>\(key.rotationEnabled ? "on" : "off")</td>\
                <td>\(key.materialVersions.map(String.init).joined(separator: ", "))</td><td class="mono">\(HTML.escape(key.created))</td>\
                <td class="num protected">\(key.objectVersions)</td></tr>
                """
        }
        body += "</tbody></table>"
        return ConsoleResponses.page(title: "Keys", session: session, active: "keys", body: body)
    }
}
