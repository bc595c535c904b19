import Foundation

/// A bucket's lifecycle configuration as PutBucketLifecycleConfiguration accepted it (validated by the S3 front door),
/// kept in the bucket's configuration document.
public struct LifecycleConfiguration: Sendable, Codable, Equatable {
    public var rules: [LifecycleRule]
    /// `x-amz-transition-default-minimum-object-size`: by default objects under 128 KiB are never transitioned.
    public var transitionMinimumSize: TransitionMinimumSize

    public enum TransitionMinimumSize: String, Sendable, Codable {
        case allStorageClasses128K = "all_storage_classes_128K"
        case variesByStorageClass = "varies_by_storage_class"
    }

    public init(rules: [LifecycleRule], transitionMinimumSize: TransitionMinimumSize = .allStorageClasses128K) {
        self.rules = rules
        self.transitionMinimumSize = transitionMinimumSize
    }
}

public struct LifecycleRule: Sendable, Codable, Equatable {
    public var id: String
    public var enabled: Bool
    public var filter: LifecycleFilter
    public var expiration: Expiration?
    public var noncurrentExpiration: NoncurrentExpiration?
    public var transitions: [Transition]
    public var noncurrentTransitions: [NoncurrentTransition]
    public var abortIncompleteUploadDays: Int?

    /// `Days` after creation or a `Date`; or, alone, `ExpiredObjectDeleteMarker`.
    public struct Expiration: Sendable, Codable, Equatable {
        public var days: Int?
        /// Midnight UTC, milliseconds since the epoch.
        public var dateMillis: Int64?
        public var expiredObjectDeleteMarker: Bool?
        public init(days: Int? = nil, dateMillis: Int64? = nil, expiredObjectDeleteMarker: Bool? = nil) {
            self.days = days; self.dateMillis = dateMillis; self.expiredObjectDeleteMarker = expiredObjectDeleteMarker
        }
    }

    public struct NoncurrentExpiration: Sendable, Codable, Equatable {
        public var noncurrentDays: Int?
        /// How many of the newest noncurrent versions are kept whatever their age.
        public var newerNoncurrentVersions: Int?
        public init(noncurrentDays: Int? = nil, newerNoncurrentVersions: Int? = nil) {
            self.noncurrentDays = noncurrentDays; self.newerNoncurrentVersions = newerNoncurrentVersions
        }
    }

    public struct Transition: Sendable, Codable, Equatable {
        public var days: Int?
        public var dateMillis: Int64?
        public var storageClass: String
        public init(days: Int? = nil, dateMillis: Int64? = nil, storageClass: String) {
            self.days = days; self.dateMillis = dateMillis; self.storageClass = storageClass
        }
    }

    public struct NoncurrentTransition: Sendable, Codable, Equatable {
        public var noncurrentDays: Int
        public var newerNoncurrentVersions: Int?
        public var storageClass: String
        public init(noncurrentDays: Int, newerNoncurrentVersions: Int? = nil, storageClass: String) {
            self.noncurrentDays = noncurrentDays; self.newerNoncurrentVersions = newerNoncurrentVersions; self.storageClass = storageClass
        }
    }

    public init(id: String, enabled: Bool = true, filter: LifecycleFilter = LifecycleFilter(), expiration: Expiration? = nil,
                noncurrentExpiration: NoncurrentExpiration? = nil, transitions: [Transition] = [],
                noncurrentTransitions: [NoncurrentTransition] = [], abortIncompleteUploadDays: Int? = nil) {
        self.id = id; self.enabled = enabled; self.filter = filter; self.expiration = expiration
        self.noncurrentExpiration = noncurrentExpiration; self.transitions = transitions
        self.noncurrentTransitions = noncurrentTransitions; self.abortIncompleteUploadDays = abortIncompleteUploadDays
    }
}

/// Which objects a rule covers: all of prefix, tags and size bounds must hold. `form` remembers how the client wrote
/// it, so GetBucketLifecycleConfiguration gives back the shape it was given.
public struct LifecycleFilter: Sendable, Codable, Equatable {
    public enum Form: String, Sendable, Codable {
        /// The legacy `<Prefix>` directly in the rule.
        case legacyPrefix
        /// `<Filter/>` or `<Filter><Prefix>…</Prefix></Filter>` and the other single conditions.
        case single
        case and
    }

    public var form: Form
    public var prefix: String?
    public var tags: [Tag]
    /// Sizes in bytes, exclusive bounds.
    public var sizeGreaterThan: Int64?
    public var sizeLessThan: Int64?

    public init(form: Form = .single, prefix: String? = nil, tags: [Tag] = [], sizeGreaterThan: Int64? = nil, sizeLessThan: Int64? = nil) {
        self.form = form; self.prefix = prefix; self.tags = tags; self.sizeGreaterThan = sizeGreaterThan; self.sizeLessThan = sizeLessThan
    }

    public func matches(key: String, size: Int64, tags objectTags: [Tag]) -> Bool {
        if let prefix, !key.utf8.starts(with: prefix.utf8) { return false }
        if let sizeGreaterThan, !(size > sizeGreaterThan) { return false }
        if let sizeLessThan, !(size < sizeLessThan) { return false }
        return tags.allSatisfy { objectTags.contains($0) }
    }

    /// Uploads have no tags and no size yet: only the prefix decides (AWS refuses AbortIncompleteMultipartUpload with
    /// tag or size filters).
    public func matchesUpload(key: String) -> Bool {
        prefix.map { key.utf8.starts(with: $0.utf8) } ?? true
    }
}
