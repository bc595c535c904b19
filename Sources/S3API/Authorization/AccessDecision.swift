import AccessPolicy
import FrontDoors
import Store

/// S3's authorization decision for one request, in AWS's order, for a store with no IAM identity policies: every
/// user of an account may do anything to its account's buckets (as an administrator would), so the bucket policy's
/// explicit denies, the bucket policy's allows and the ACLs decide the rest.
///
///  1. The bucket owner's root user may always read, change and delete the bucket policy (so a bad policy can be undone);
///     another account never may, even when the policy allows it (S3 answers 405 then).
///  2. An explicit `Deny` in the bucket policy that matches refuses the request — for the owner's users too.
///  3. Where ACLs are enabled, reading an object (or its ACL) that another account owns takes that object's ACL: neither
///     the bucket's owner nor its policy reach it.
///  4. A user of the bucket owner's account is allowed.
///  5. Anyone else (another account, or anonymous) is allowed by a matching `Allow` in the bucket policy — unless the
///     policy is public and `RestrictPublicBuckets` is on, which limits it to the owner's account —
///  6. or, where ACLs are enabled (object ownership other than `BucketOwnerEnforced`), by an ACL grant: the bucket's,
///     or the object's for reading an object or its ACL; grants to everyone are ignored under `IgnorePublicAcls`.
///  7. Otherwise the request is refused.
struct AccessDecision {
    enum Outcome: Equatable {
        case allowed
        case denied(explicitly: Bool)
        /// Allowed by the policy, but only the bucket owner's account may manage the policy.
        case notTheOwnersAccount
    }

    var requester: Identity?
    var bucketOwner: Account
    var permission: S3Permission
    var resourceARN: String
    var policy: BucketPolicy?
    var publicAccessBlock: PublicAccessBlock
    var ownership: ObjectOwnership
    var bucketACL: AccessControlList?
    var context: ConditionContext

    static let policyManagement: Set<String> = ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]

    var sameAccount: Bool { requester?.account.id == bucketOwner.id }

    /// `objectACL` is asked only when an object's ACL could decide: it reads the object's ACL and owner.
    func decide(objectACL: () async throws -> (acl: AccessControlList?, owner: Account)?) async rethrows -> Outcome {
        let managesPolicy = Self.policyManagement.contains(permission.action)
        if sameAccount, requester?.isRoot == true, managesPolicy { return .allowed }
        let effect = policy?.evaluate(PolicyRequest(principal: requester.map(Self.principal), action: permission.action,
                                                    resource: resourceARN, context: context)) ?? .notApplicable
        if effect == .explicitDeny { return .denied(explicitly: true) }
        let aclsEnabled = ownership != .bucketOwnerEnforced
        // Read once, and only where ACLs are enabled (never for a bucket with today's defaults).
        let object = aclsEnabled && permission.usesObjectACL ? try await objectACL() : nil
        if let needed = permission.aclPermission, let object {
            // A missing object falls through to the bucket's rules (NoSuchKey, or 403 without ListBucket).
            if object.owner != bucketOwner {
                let acl = object.acl ?? .ownerOnly(object.owner.canonicalUserId)
                return requester?.account == object.owner || grants(acl, needed) ? .allowed : .denied(explicitly: false)
            }
        }
        if sameAccount { return .allowed }
        if effect == .allow, !(publicAccessBlock.restrictPublicBuckets && policy?.isPublic == true) {
            return managesPolicy ? .notTheOwnersAccount : .allowed
        }
        guard aclsEnabled, let needed = permission.aclPermission else { return .denied(explicitly: false) }
        if permission.usesObjectACL {
            guard let object else { return .denied(explicitly: false) }
            let acl = object.acl ?? .ownerOnly(object.owner.canonicalUserId)
            return grants(acl, needed) ? .allowed : .denied(explicitly: false)
        }
        return grants(bucketACL ?? .ownerOnly(bucketOwner.canonicalUserId), needed) ? .allowed : .denied(explicitly: false)
    }

    /// Whether `acl` gives the requester `needed` (FULL_CONTROL gives everything).
    func grants(_ acl: AccessControlList, _ needed: ACLPermission) -> Bool {
        acl.grants.contains { grant in
            guard grant.permission == needed || grant.permission == .fullControl else { return false }
            switch grant.grantee {
            case .canonicalUser(let id): return requester?.account.canonicalUserId == id
            case .allUsers: return !publicAccessBlock.ignorePublicAcls
            case .authenticatedUsers: return requester != nil && !publicAccessBlock.ignorePublicAcls
            case .group: return false
            }
        }
    }

    static func principal(_ identity: Identity) -> PolicyPrincipal {
        PolicyPrincipal(accountId: identity.account.id, arn: identity.arn, userName: identity.userName,
                        canonicalUserId: identity.account.canonicalUserId)
    }
}
