import AccessPolicy
import FrontDoors
import Store

extension S3Service {
    /// The authorization step, between routing and the handler: the request's permission against the bucket's owner,
    /// policy, public access block and ACLs (`AccessDecision`). A bucket that does not exist is left to the handler,
    /// whose `NoSuchBucket` is S3's answer there.
    func authorize(_ c: S3Context) async throws {
        switch c.operation {
        case .listBuckets, .createBucket:
            // Only signed requests have an account to list or create buckets in.
            if c.requester == nil { throw S3Error.accessDenied() }
            return
        case .postObject:
            // A form names its key and carries its signer in the body: its handler authorizes once it has read them.
            return
        default:
            break
        }
        guard let permission = c.operation.permission else { return }
        try await authorize(c, permission, bucket: c.bucket, key: c.key, versionId: c.query["versionId"])
    }

    /// One permission on a bucket or one of its objects: also what CopyObject asks of its source and DeleteObjects of
    /// each key.
    func authorize(_ c: S3Context, _ permission: S3Permission, bucket: String, key: String, versionId: String?,
                   conditions: ConditionContext? = nil) async throws {
        guard let configuration = try store.configuration(bucket: bucket) else { return }
        let owner = account(configuration.owner)
        let resource = permission.target == .bucket ? "arn:aws:s3:::\(bucket)" : "arn:aws:s3:::\(bucket)/\(key)"
        let policy = policies.policy(bucket: bucket, text: configuration.policy)
        // Condition keys matter only to a policy; without one the request pays nothing for them.
        var context = ConditionContext()
        if let policy {
            context = conditions ?? conditionContext(c)
            if policy.readsExistingObjectTags, permission.target == .object,
               let version = try? await store.object(bucket: bucket, key: key, versionId: versionId, withBody: false) {
                for tag in version.metadata.tags { context["s3:ExistingObjectTag/" + tag.key] = [tag.value] }
            }
        }
        let decision = AccessDecision(requester: c.requester, bucketOwner: owner, permission: permission, resourceARN: resource,
                                      policy: policy?.policy, publicAccessBlock: configuration.publicAccessBlock ?? PublicAccessBlock(),
                                      ownership: configuration.ownership ?? .objectWriter, bucketACL: configuration.acl, context: context)
        let outcome = try await decision.decide {
            guard let version = try? await self.store.object(bucket: bucket, key: key, versionId: versionId, withBody: false) else { return nil }
            let objectOwner = version.metadata.owner.map(self.account) ?? owner
            return (version.metadata.acl, objectOwner)
        }
        switch outcome {
        case .allowed:
            return
        case .notTheOwnersAccount:
            throw S3Error.methodNotAllowed()
        case .denied(let explicitly):
            // AWS explains a refusal to the bucket owner's own users; everyone else learns only that it was denied.
            if explicitly, decision.sameAccount, let identity = c.requester {
                throw S3Error.accessDenied("User: \(identity.arn) is not authorized to perform: \(permission.action) on resource: "
                                           + "\"\(resource)\" with an explicit deny in a resource-based policy")
            }
            throw S3Error.accessDenied()
        }
    }

    /// The account with this id, whether or not a users file still names it (its buckets stay its own).
    func account(_ id: String) -> Account { authenticator.users.accounts[id] ?? Account(id: id) }

    /// The bucket's owning account; `NoSuchBucket` when there is no such bucket.
    func bucketOwner(_ bucket: String) throws -> Account {
        guard let configuration = try store.configuration(bucket: bucket) else { throw S3Error.noSuchBucket(bucket) }
        return account(configuration.owner)
    }
}
