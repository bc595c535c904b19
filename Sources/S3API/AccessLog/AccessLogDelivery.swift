import Foundation
import LockstepCrypto
import Store

/// What one flush delivered: one object per source bucket, target and (for event-time partitions) day.
public struct AccessLogFlushResult: Sendable, Equatable {
    public struct Delivery: Sendable, Equatable {
        public var bucket: String
        public var key: String
    }
    public var delivered: [Delivery] = []
    /// Records still waiting: their target could not take them.
    public var pending = 0

    public init(delivered: [Delivery] = [], pending: Int = 0) {
        self.delivered = delivered; self.pending = pending
    }
}

/// Delivery of spooled records as log objects in their target buckets.
///
/// Idempotent across crashes: a log object's key comes from its sealed segment's name and its group, and it is written
/// with `If-None-Match: *` semantics — a segment delivered just before a crash, and so delivered again after the
/// restart, finds its objects there and adds nothing. A target that cannot take its object (deleted, its default KMS
/// key disabled) keeps the records in the segment, retried at each flush. Deliveries are store writes, not requests,
/// so they never produce records of their own: a bucket may log to itself.
extension S3Service {
    /// Delivers every record made so far (the admin API's `POST /_lockstep/logs/flush`, the worker, shutdown).
    public func flushAccessLogs() async -> AccessLogFlushResult {
        guard let accessLog else { return AccessLogFlushResult() }
        return await accessLog.flushes.run { [self] in await deliverSpool(accessLog.spool) }
    }

    private struct DeliveryGroup: Hashable {
        var source: String
        var target: BucketLogging
        /// The records' UTC day when the key is partitioned by event time.
        var eventDay: Int64?
    }

    private func deliverSpool(_ spool: AccessLogSpool) async -> AccessLogFlushResult {
        var result = AccessLogFlushResult()
        let now = store.clock.nowMillis()
        let segments: [String]
        do {
            segments = try spool.seal(nowMillis: now)
        } catch {
            logger.error("access logs: cannot seal the spool: \(error)")
            return result
        }
        var refusedTargets: Set<String> = []
        var deliveredRecords = 0
        for segment in segments {
            let opened: AccessLogSpool.Segment
            do {
                opened = try spool.open(segment)
            } catch {
                logger.error("access logs: cannot read spool segment \(segment): \(error)")
                continue
            }
            let sealedMillis = AccessLogSpool.sealedMillis(segment) ?? now
            // One object per group; its body is built straight from the segment's bytes.
            var order: [DeliveryGroup] = []
            var groups: [DeliveryGroup: (body: [UInt8], frames: [Range<Int>], firstEventMillis: Int64)] = [:]
            for entry in opened.entries {
                var group = DeliveryGroup(source: entry.source, target: entry.target, eventDay: nil)
                if case .partitioned(.eventTime) = entry.target.keyFormat { group.eventDay = AccessLogObjectKey.utcDay(entry.eventMillis) }
                if groups[group] == nil {
                    order.append(group)
                    groups[group] = ([], [], entry.eventMillis)
                }
                groups[group]!.body.append(contentsOf: opened.bytes[entry.line])
                groups[group]!.body.append(UInt8(ascii: "\n"))
                groups[group]!.frames.append(entry.frame)
            }
            var kept: [Range<Int>] = []
            for group in order {
                guard let (body, frames, firstEventMillis) = groups.removeValue(forKey: group) else { continue }
                let key = AccessLogObjectKey.key(group.target, source: group.source, region: configuration.region, deliveryMillis: sealedMillis,
                                                 eventMillis: firstEventMillis, unique: Self.uniqueString(segment, group))
                do {
                    try await putLogObject(body, bucket: group.target.targetBucket, key: key)
                    result.delivered.append(.init(bucket: group.target.targetBucket, key: key))
                    deliveredRecords += frames.count
                } catch StoreError.preconditionFailed {
                    // Delivered before a crash that kept the segment: nothing to add.
                } catch {
                    kept += frames
                    if refusedTargets.insert(group.target.targetBucket).inserted {
                        logger.warning("access logs for \(group.source) stay pending: target bucket \(group.target.targetBucket) refused them: \(error)")
                    }
                }
            }
            result.pending += kept.count
            guard kept.count != opened.entries.count else { continue }
            do {
                try spool.replace(segment, keeping: kept.sorted { $0.lowerBound < $1.lowerBound }, of: opened.bytes)
            } catch {
                logger.error("access logs: cannot update spool segment \(segment): \(error)")
            }
        }
        spool.noteDelivery(delivered: deliveredRecords, kept: result.pending)
        return result
    }

    /// 16 upper-case hexadecimal characters, as AWS's, derived from the segment and group so that a redelivery
    /// names the same object.
    private static func uniqueString(_ segment: String, _ group: DeliveryGroup) -> String {
        let identity = [segment, group.source, group.target.targetBucket, group.target.targetPrefix, "\(group.target.keyFormat)",
                        group.eventDay.map(String.init) ?? ""].joined(separator: "\u{0}")
        return String(Digest.sha256(Array(identity.utf8)).hexString.prefix(16)).uppercased()
    }

    /// Writes one log object under the target bucket's default encryption, unless that key already exists.
    private func putLogObject(_ body: [UInt8], bucket: String, key: String) async throws {
        let encryption = try await newEncryption(.bucketDefault, bucket: bucket, key: key)
        var metadata = ObjectMetadata(contentType: "text/plain")
        metadata.encryption = encryption.record
        let staged = try await store.stage(bytes: body, digests: DigestRequest(md5: true), sealing: encryption.key)
        _ = try await store.putObject(bucket: bucket, key: key, NewObject(etag: staged.digests.md5?.hexString ?? "", metadata: metadata, body: staged),
                                      precondition: .absent)
    }
}
