import AccessPolicy
import Foundation

/// Compiled bucket policies by bucket, so a request pays for evaluating its bucket's policy, never for parsing it.
/// An entry is used only while the bucket's policy text is the one it was compiled from, so a changed or deleted policy
/// needs no invalidation (a bucket without a policy never touches the lock).
final class PolicyCache: @unchecked Sendable {
    /// A compiled policy and what it needs from a request beyond its headers.
    struct Entry: Sendable {
        let policy: BucketPolicy
        /// `s3:ExistingObjectTag/…` keys need the object's tags read before the policy is evaluated.
        let readsExistingObjectTags: Bool
    }

    // Unchecked: `entries` is only touched under `lock`.
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func policy(bucket: String, text: String?) -> Entry? {
        guard let text else { return nil }
        if let cached = lock.withLock({ entries[bucket] }), cached.policy.text == text { return cached }
        // A stored policy was valid when it was put; should it no longer compile, it grants nothing.
        guard let compiled = try? BucketPolicy(json: Array(text.utf8), bucket: bucket) else { return nil }
        let entry = Entry(policy: compiled, readsExistingObjectTags: text.lowercased().contains("s3:existingobjecttag"))
        lock.withLock { entries[bucket] = entry }
        return entry
    }
}
