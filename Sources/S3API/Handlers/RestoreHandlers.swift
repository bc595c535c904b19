import FrontDoors
import HTTPDates
import HTTPTypes
import Store

/// RestoreObject and what archived versions answer: GET and copies of a GLACIER or DEEP_ARCHIVE version need a restored
/// copy (403 `InvalidObjectState` otherwise); HEAD and GET report the restore in `x-amz-restore`.
extension S3Service {
    static let restoreTiers: Set<String> = ["Standard", "Bulk", "Expedited"]

    func restoreObject(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "RestoreRequest", let daysText = root.value("Days"), let days = Int(daysText), days > 0 else {
            throw S3Error.malformedXML()
        }
        let tier = root.child("GlacierJobParameters")?.value("Tier") ?? root.value("Tier") ?? "Standard"
        guard Self.restoreTiers.contains(tier) else { throw S3Error.malformedXML() }
        let outcome = try await store.requestRestore(bucket: c.bucket, key: c.key, versionId: versionId, days: days, tier: tier,
                                                     schedule: configuration.lifecycleSchedule)
        return APIResponse(status: outcome == .started ? .accepted : .ok)
    }

    /// GET (and copy sources) of an archived version without a restored copy.
    func requireReadable(_ version: ObjectVersion) throws {
        guard version.isReadable(nowMillis: store.clock.nowMillis()) else {
            throw S3Error(storeError: .invalidObjectState(storageClass: version.metadata.storageClass, restore: false))
        }
    }

    /// `x-amz-restore`: in progress, or done with the copy's expiry; nothing once the copy has expired.
    func applyRestore(_ metadata: ObjectMetadata, to response: inout APIResponse) {
        guard let restore = metadata.restore else { return }
        let now = store.clock.nowMillis()
        if restore.isOngoing(nowMillis: now) {
            response.set("x-amz-restore", "ongoing-request=\"true\"")
        } else if restore.isReadable(nowMillis: now) {
            response.set("x-amz-restore", "ongoing-request=\"false\", expiry-date=\"\(HTTPDate.format(restore.expiresMillis))\"")
        }
    }
}
