/// What S3 keeps for access control beside a bucket's other settings and each object version: who owns it, its ACL,
/// and (for buckets) object ownership and the public access block. The rules that use them are the S3 front door's.

/// An ACL permission.
public enum ACLPermission: String, Sendable, Codable, CaseIterable {
    case fullControl = "FULL_CONTROL", read = "READ", write = "WRITE", readACP = "READ_ACP", writeACP = "WRITE_ACP"
}

/// Who a grant is for: an account (by canonical user id) or one of S3's predefined groups (by URI).
public enum ACLGrantee: Sendable, Codable, Hashable {
    case canonicalUser(String)
    case group(String)

    public static let allUsers = ACLGrantee.group("http://acs.amazonaws.com/groups/global/AllUsers")
    public static let authenticatedUsers = ACLGrantee.group("http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
    public static let logDelivery = ACLGrantee.group("http://acs.amazonaws.com/groups/s3/LogDelivery")
}

public struct ACLGrant: Sendable, Codable, Hashable {
    public var grantee: ACLGrantee
    public var permission: ACLPermission
    public init(_ grantee: ACLGrantee, _ permission: ACLPermission) { self.grantee = grantee; self.permission = permission }
}

/// An access control list's grants; its owner is the bucket's or the object's.
public struct AccessControlList: Sendable, Codable, Equatable {
    public var grants: [ACLGrant]
    public init(grants: [ACLGrant]) { self.grants = grants }

    /// `private`: the owner alone, with full control.
    public static func ownerOnly(_ ownerCanonicalId: String) -> AccessControlList {
        AccessControlList(grants: [ACLGrant(.canonicalUser(ownerCanonicalId), .fullControl)])
    }
}

/// Object ownership (PutBucketOwnershipControls).
public enum ObjectOwnership: String, Sendable, Codable {
    /// ACLs are disabled; the bucket owner owns every object. S3's default for new buckets since April 2023.
    case bucketOwnerEnforced = "BucketOwnerEnforced"
    /// The bucket owner owns objects written with the `bucket-owner-full-control` canned ACL.
    case bucketOwnerPreferred = "BucketOwnerPreferred"
    /// The writer's account owns what it writes (S3's behaviour before ownership controls existed).
    case objectWriter = "ObjectWriter"
}

/// PutPublicAccessBlock's four settings.
public struct PublicAccessBlock: Sendable, Codable, Equatable {
    public var blockPublicAcls: Bool
    public var ignorePublicAcls: Bool
    public var blockPublicPolicy: Bool
    public var restrictPublicBuckets: Bool

    public init(blockPublicAcls: Bool = false, ignorePublicAcls: Bool = false, blockPublicPolicy: Bool = false, restrictPublicBuckets: Bool = false) {
        self.blockPublicAcls = blockPublicAcls; self.ignorePublicAcls = ignorePublicAcls
        self.blockPublicPolicy = blockPublicPolicy; self.restrictPublicBuckets = restrictPublicBuckets
    }

    public static let all = PublicAccessBlock(blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true)
}
