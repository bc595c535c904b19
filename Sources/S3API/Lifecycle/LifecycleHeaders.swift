import FrontDoors
import HTTPDates
import Store

/// The lifecycle headers S3 adds to object responses: when an expiration rule will remove the current version
/// (`x-amz-expiration`), and when an abort rule will end an upload (`x-amz-abort-date`, `x-amz-abort-rule-id`).
extension S3Service {
    /// On PUT, GET, HEAD, copy and CompleteMultipartUpload of a current version; never for a request that names a
    /// version (S3 leaves it out then, even for the current one).
    func applyExpiration(_ version: ObjectVersion, requestedVersionId: String? = nil, to response: inout APIResponse) throws {
        guard requestedVersionId == nil, version.isLatest, !version.isDeleteMarker,
              let lifecycle = try store.lifecycleConfiguration(bucket: version.bucket),
              let (due, ruleId) = lifecycle.expiration(key: version.key, size: version.size, tags: version.metadata.tags,
                                                       createdMillis: version.lastModifiedMillis,
                                                       schedule: configuration.lifecycleSchedule) else { return }
        response.set("x-amz-expiration", "expiry-date=\"\(HTTPDate.format(due))\", rule-id=\"\(ruleId)\"")
    }

    /// On CreateMultipartUpload and ListParts.
    func applyAbortDate(_ upload: MultipartUpload, to response: inout APIResponse) throws {
        guard let lifecycle = try store.lifecycleConfiguration(bucket: upload.bucket),
              let (due, ruleId) = lifecycle.abortDate(key: upload.key, initiatedMillis: upload.initiatedMillis,
                                                      schedule: configuration.lifecycleSchedule) else { return }
        response.set("x-amz-abort-date", HTTPDate.format(due))
        response.set("x-amz-abort-rule-id", ruleId)
    }
}
