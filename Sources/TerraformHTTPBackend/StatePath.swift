import SigV4

/// `/_lockstep/tfstate/<bucket>/<key…>`: the bucket and the state's object key, percent-decoded segment by segment.
/// A key's lock is the object `<key>.tflock`, the name Terraform's s3 backend gives it with `use_lockfile`.
struct StatePath: Equatable {
    static let prefix = "/_lockstep/tfstate/"

    let bucket: String
    let key: String

    var lockKey: String { key + ".tflock" }

    /// nil for a path with no key, an empty segment, or a `.`/`..` segment: a state path names one object plainly.
    init?(rawPath: String) {
        guard rawPath.hasPrefix(Self.prefix) else { return nil }
        let segments = rawPath.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 2 else { return nil }
        var decoded: [String] = []
        for segment in segments {
            guard let text = percentDecodedUTF8(String(segment)), !text.isEmpty, text != ".", text != "..", !text.contains("/") else { return nil }
            decoded.append(text)
        }
        bucket = decoded[0]
        key = decoded.dropFirst().joined(separator: "/")
    }
}
