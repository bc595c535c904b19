import FrontDoors
import LockstepXML
import Store

extension S3Service {
    /// POST /?delete: up to 1000 keys; per-key errors in the result, quiet mode reports only errors.
    func deleteObjects(_ c: S3Context) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
        let bucket = try await requireBucket(c)
        let bypass = try ObjectLockHeaders.bypassGovernance(c, bucket: bucket.configuration)
        let root = try parseXML(try await readXMLBody(c, limit: 2 << 20))
        guard root.name == "Delete" else { throw S3Error.malformedXML() }
        let quiet = root.value("Quiet")?.lowercased() == "true"
        let objects = root.all("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML() }
        // Each key is authorized as its own DeleteObject; a policy's condition keys are the same for all of them.
        let conditions = try store.configuration(bucket: c.bucket)?.policy == nil ? nil : conditionContext(c)
        var x = XMLWriter()
        x.start("DeleteResult", attributes: [("xmlns", XMLWriter.s3Namespace)])
        for object in objects {
            guard let key = object.value("Key") else { throw S3Error.malformedXML() }
            let versionId = object.value("VersionId").flatMap { $0.isEmpty ? nil : $0 }
            do {
                try Validation.checkVersionId(versionId)
                try Validation.checkKey(key)
                try await authorize(c, S3Permission(versionId == nil ? "s3:DeleteObject" : "s3:DeleteObjectVersion", .object, .write),
                                    bucket: c.bucket, key: key, versionId: versionId, conditions: conditions)
                let precondition = ObjectHeaders.ifMatch(object.value("ETag"))
                let outcome = try await store.deleteObject(bucket: c.bucket, key: key, versionId: versionId, precondition: precondition,
                                                           bypassGovernance: bypass)
                c.trace?.batchDeleted.append((key, versionId))
                if quiet { continue }
                x.group("Deleted") { x in
                    x.element("Key", key)
                    x.optional("VersionId", versionId)
                    if outcome.deleteMarker {
                        x.element("DeleteMarker", true)
                        x.element("DeleteMarkerVersionId", outcome.versionId ?? "")
                    }
                }
            } catch {
                let s3 = (error as? S3Error) ?? (error as? StoreError).map { S3Error(storeError: $0) } ?? .internalError()
                x.group("Error") { x in
                    x.element("Key", key)
                    x.optional("VersionId", versionId)
                    x.element("Code", s3.code.rawValue)
                    x.element("Message", s3.message)
                }
            }
        }
        x.end()
        return xmlResponse(x)
    }
}
