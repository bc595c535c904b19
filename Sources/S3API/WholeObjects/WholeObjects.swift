import FrontDoors
import LockstepCrypto
import NIOCore
import Store

/// A small object read or written whole by another of Lockstep's front doors (the Terraform `http` backend's state and
/// lock), on the same terms as an S3 request: the bucket's default encryption, Object Lock defaults and versioning
/// apply to what is written, archived objects cannot be read, and a conditional write is decided in its commit.
public struct WholeObject: Sendable {
    public let bytes: [UInt8]
    public let etag: String
}

extension S3Service {
    /// The latest version's bytes, or nil when the key has none (a delete marker counts as none). A missing bucket is
    /// `StoreError.noSuchBucket`.
    public func readWholeObject(bucket: String, key: String) async throws -> WholeObject? {
        let version: ObjectVersion
        do {
            version = try await store.object(bucket: bucket, key: key, versionId: nil, withBody: true)
        } catch StoreError.noSuchKey {
            return nil
        }
        let bodyKey = try openEncryption(version.metadata.encryption, bucket: bucket, key: key, customer: nil, unwrap: true)
        try requireReadable(version)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(version.size))
        let reader = store.openBody(of: version, range: 0..<version.size, key: bodyKey)
        while let chunk = try reader.next() { bytes += chunk.readableBytesView }
        return WholeObject(bytes: bytes, etag: version.etag)
    }

    /// Writes `body` as the key's new version; with `ifAbsent`, only when the key has no current object
    /// (`If-None-Match: *`), answering false when another was there.
    public func writeWholeObject(bucket: String, key: String, body: [UInt8], contentType: String, ifAbsent: Bool = false) async throws -> Bool {
        let encryption = try await newEncryption(.bucketDefault, bucket: bucket, key: key)
        var metadata = ObjectMetadata(contentType: contentType)
        metadata.encryption = encryption.record
        let staged = try await store.stage(bytes: body, digests: DigestRequest(md5: true), sealing: encryption.key)
        do {
            _ = try await store.putObject(bucket: bucket, key: key,
                                          NewObject(etag: staged.digests.md5?.hexString ?? "", metadata: metadata, body: staged),
                                          precondition: ifAbsent ? .absent : .none)
            return true
        } catch StoreError.preconditionFailed {
            return false
        }
    }

    /// Deletes the key's current object (a delete marker in a versioned bucket); with `etag`, only if the current object
    /// still has it, answering false otherwise.
    public func deleteWholeObject(bucket: String, key: String, ifETag etag: String? = nil) async throws -> Bool {
        do {
            _ = try await store.deleteObject(bucket: bucket, key: key, versionId: nil, precondition: etag.map { .etagMatches($0) } ?? .none)
            return true
        } catch StoreError.preconditionFailed, StoreError.noSuchKey {
            return false
        }
    }
}

/// What another front door does with a whole object, for authorization as the S3 operation it amounts to.
public enum WholeObjectAccess: Sendable {
    case read, write, delete

    var operation: S3Operation {
        switch self {
        case .read: return .getObject(versionId: nil, partNumber: nil)
        case .write: return .putObject
        case .delete: return .deleteObject(versionId: nil)
        }
    }
}

extension S3Service {
    /// Authorizes `requester` as S3 would authorize the equivalent GetObject, PutObject or DeleteObject: bucket policy,
    /// ownership and ACLs apply to the other front doors' reads and writes too. Throws S3's `AccessDenied`.
    public func authorizeWholeObject(_ request: APIRequest, requester: Identity, _ access: WholeObjectAccess, bucket: String, key: String) async throws {
        let context = S3Context(request: request, operation: access.operation, bucket: bucket, key: key, query: QueryParameters(raw: ""),
                                auth: nil, requester: requester, requestId: "", trace: nil)
        try await authorize(context)
    }
}
