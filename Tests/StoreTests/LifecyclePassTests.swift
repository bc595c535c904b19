import Foundation
@testable import Store
import Testing

/// Lifecycle passes against the store: what falls due when, what each action does in each versioning state, and that
/// a repeated pass finds nothing left to do.
@Suite("Lifecycle passes")
struct LifecyclePassTests {
    static let day: Int64 = 86_400_000
    let schedule = LifecycleSchedule()

    func fixture(versioning: VersioningState = .unversioned, _ rules: [LifecycleRule],
                 minimum: LifecycleConfiguration.TransitionMinimumSize = .allStorageClasses128K) async throws -> StoreFixture {
        let f = try await StoreFixture.withBucket(versioning: versioning)
        try await f.store.updateBucketConfiguration(name: "b") {
            $0.lifecycle = LifecycleConfiguration(rules: rules, transitionMinimumSize: minimum)
        }
        return f
    }

    func keys(_ f: StoreFixture) async throws -> [String] {
        try await f.store.listObjects(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 1000).objects.map(\.key)
    }

    func versions(_ f: StoreFixture, _ key: String) async throws -> [ListedVersion] {
        try await f.store.listVersions(bucket: "b", prefix: key, delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 1000)
            .versions.filter { $0.key == key }
    }

    @Test func dueDatesRoundToTheNextMidnight() {
        // AWS's example: created 2014-01-15 10:30 UTC with a 3-day rule → due 2014-01-19 00:00 UTC.
        let created: Int64 = 1_389_781_800_000
        #expect(schedule.due(after: created, days: 3) == 1_390_089_600_000)
        // Created exactly at midnight: the next midnight after created + Days.
        #expect(schedule.due(after: 1_389_744_000_000, days: 1) == 1_389_744_000_000 + 2 * Self.day)
        // A 2-second lifecycle day.
        #expect(LifecycleSchedule(dayMillis: 2000).due(after: 10_500, days: 30) == 72_000)
        #expect(schedule.due(after: .max - 5, days: 1) == .max)
    }

    @Test func expirationRemovesMatchingObjectsOnceDue() async throws {
        let f = try await fixture([LifecycleRule(id: "logs", filter: LifecycleFilter(prefix: "logs/"), expiration: .init(days: 1))])
        try await f.put("b", "logs/a", bytes(100_000), blob: true)
        try await f.put("b", "keep/b", [1])
        f.clock.advance(Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
        f.clock.advance(Self.day)
        var expected = LifecyclePassResult()
        expected.expired = 1
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == expected)
        #expect(try await keys(f) == ["keep/b"])
        #expect(f.blobFiles().isEmpty)
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
    }

    @Test func aDateRuleFiresFromThatMidnight() async throws {
        let midnight = (StepClock().nowMillis() / Self.day + 3) * Self.day
        let f = try await fixture([LifecycleRule(id: "date", expiration: .init(dateMillis: midnight))])
        try await f.put("b", "k", [1])
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).expired == 0)
        f.clock.advance(Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).expired == 1)
        #expect(try await keys(f).isEmpty)
    }

    @Test func disabledRulesAndUnmatchedFiltersDoNothing() async throws {
        let f = try await fixture([
            LifecycleRule(id: "off", enabled: false, expiration: .init(days: 1)),
            LifecycleRule(id: "tagged", filter: LifecycleFilter(form: .and, tags: [Tag(key: "tmp", value: "yes")], sizeGreaterThan: 10),
                          expiration: .init(days: 1)),
        ])
        var tagged = ObjectMetadata()
        tagged.tags = [Tag(key: "tmp", value: "yes"), Tag(key: "other", value: "x")]
        try await f.put("b", "small-tagged", [1], metadata: tagged)
        try await f.put("b", "big-tagged", bytes(100), metadata: tagged)
        try await f.put("b", "big-untagged", bytes(100))
        f.clock.advance(10 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).expired == 1)
        #expect(try await keys(f) == ["big-untagged", "small-tagged"])
    }

    @Test func expirationInAVersionedBucketAddsADeleteMarker() async throws {
        let f = try await fixture(versioning: .enabled, [LifecycleRule(id: "x", expiration: .init(days: 1))])
        let original = try await f.put("b", "k", [1])
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).expired == 1)
        let history = try await versions(f, "k")
        #expect(history.count == 2)
        #expect(history[0].isDeleteMarker && history[0].isLatest)
        #expect(history[1].versionId == original.versionId)
        // The marker is not expired at once (other versions remain); nothing more happens on a second pass.
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
    }

    @Test func expirationInASuspendedBucketReplacesTheNullVersion() async throws {
        let f = try await fixture(versioning: .suspended, [LifecycleRule(id: "x", expiration: .init(days: 1))])
        try await f.put("b", "k", bytes(100_000), blob: true)
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).expired == 1)
        let history = try await versions(f, "k")
        #expect(history.count == 1)
        #expect(history[0].isDeleteMarker && history[0].versionId == nullVersionId)
        #expect(f.blobFiles().isEmpty)
    }

    @Test func noncurrentExpirationKeepsTheNewestNoncurrentVersions() async throws {
        let f = try await fixture(versioning: .enabled, [
            LifecycleRule(id: "prune", noncurrentExpiration: .init(noncurrentDays: 1, newerNoncurrentVersions: 2)),
        ])
        var written: [ObjectVersion] = []
        for i in 0..<6 {
            written.append(try await f.put("b", "state", [UInt8(i)]))
            f.clock.advance(1000)
        }
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == 3)
        // The current version and the two newest noncurrent ones remain.
        #expect(try await versions(f, "state").map(\.versionId) == written.suffix(3).reversed().map(\.versionId))
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
    }

    @Test func noncurrentAgeCountsFromTheSuccessorsCreation() async throws {
        let f = try await fixture(versioning: .enabled, [LifecycleRule(id: "nc", noncurrentExpiration: .init(noncurrentDays: 5))])
        try await f.put("b", "k", [1])
        f.clock.advance(10 * Self.day)  // old, but still current
        try await f.put("b", "k", [2])  // the first becomes noncurrent now
        f.clock.advance(4 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == 0)
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == 1)
    }

    /// Versions of one key spanning several read batches keep their ranks.
    @Test func versionHistoriesLongerThanABatch() async throws {
        let f = try await fixture(versioning: .enabled, [
            LifecycleRule(id: "prune", noncurrentExpiration: .init(noncurrentDays: 1, newerNoncurrentVersions: 3)),
        ])
        let count = ObjectStore.lifecycleBatchSize + 90
        for i in 0..<count { try await f.put("b", "hot", [UInt8(truncatingIfNeeded: i)]) }
        try await f.put("b", "zz-other", [1])
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == count - 4)
        #expect(try await versions(f, "hot").count == 4)
    }

    @Test func expiredDeleteMarkersAreRemovedOnlyWhenAlone() async throws {
        let f = try await fixture(versioning: .enabled, [
            LifecycleRule(id: "markers", expiration: .init(expiredObjectDeleteMarker: true)),
            LifecycleRule(id: "nc", noncurrentExpiration: .init(noncurrentDays: 1)),
        ])
        try await f.put("b", "k", [1])
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        // First pass: the noncurrent version is not due yet, so the marker is not alone.
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
        f.clock.advance(2 * Self.day)
        var expected = LifecyclePassResult()
        expected.noncurrentExpired = 1
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == expected)
        expected = LifecyclePassResult()
        expected.deleteMarkersRemoved = 1
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == expected)
        #expect(try await versions(f, "k").isEmpty)
    }

    /// Lifecycle never removes a version under Object Lock, and removes it once the retention has passed.
    @Test func lockedVersionsOutliveTheirRulesUntilTheRetentionPasses() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1", objectLock: true)
        try await f.store.updateBucketConfiguration(name: "b") {
            $0.lifecycle = LifecycleConfiguration(rules: [LifecycleRule(id: "nc", noncurrentExpiration: .init(noncurrentDays: 1))])
        }
        var locked = ObjectMetadata()
        locked.retention = ObjectRetention(mode: .governance, retainUntilMillis: f.clock.nowMillis() + 10 * Self.day)
        try await f.put("b", "k", [1], metadata: locked)
        try await f.put("b", "k", [2])
        f.clock.advance(3 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == 0)
        #expect(try await versions(f, "k").count == 2)
        f.clock.advance(8 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).noncurrentExpired == 1)
        #expect(try await versions(f, "k").count == 1)
    }

    @Test func incompleteUploadsAreAbortedAfterTheirDays() async throws {
        let f = try await fixture([LifecycleRule(id: "abort", filter: LifecycleFilter(prefix: "tmp/"), abortIncompleteUploadDays: 2)])
        let stale = try await f.store.createUpload(bucket: "b", key: "tmp/big", metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil)
        let body = try await f.blobBody(bytes(1000))
        _ = try await f.store.putPart(bucket: "b", key: "tmp/big", uploadId: stale.uploadId, partNumber: 1,
                                      body: f.staged(body, size: 1000), etag: "e", checksum: nil)
        _ = try await f.store.createUpload(bucket: "b", key: "keep/big", metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil)
        #expect(try f.store.lifecycleConfiguration(bucket: "b")?.abortDate(key: "tmp/big", initiatedMillis: stale.initiatedMillis,
                                                                           schedule: schedule)?.ruleId == "abort")
        f.clock.advance(3 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).uploadsAborted == 1)
        #expect(await storeError { _ = try await f.store.upload(bucket: "b", key: "tmp/big", uploadId: stale.uploadId) } != nil)
        #expect(f.blobFiles().isEmpty)
    }

    @Test func transitionsMoveLargeObjectsToColderClasses() async throws {
        let rules = [LifecycleRule(id: "t", transitions: [.init(days: 30, storageClass: "STANDARD_IA"), .init(days: 60, storageClass: "GLACIER")])]
        let f = try await fixture(rules)
        try await f.put("b", "large", bytes(200 * 1024), blob: true)
        try await f.put("b", "small", bytes(1024))
        f.clock.advance(31 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).transitioned == 1)
        #expect(try await f.store.object(bucket: "b", key: "large", withBody: false).metadata.storageClass == "STANDARD_IA")
        f.clock.advance(30 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).transitioned == 1)
        let large = try await f.store.object(bucket: "b", key: "large", withBody: true)
        #expect(large.metadata.storageClass == "GLACIER")
        #expect(try f.read(large) == bytes(200 * 1024))
        #expect(try await f.store.object(bucket: "b", key: "small", withBody: false).metadata.storageClass == "STANDARD")
        #expect(try await f.store.runLifecyclePass(schedule: schedule) == LifecyclePassResult())
    }

    @Test func smallObjectsGoToArchiveClassesOnlyWhenAllowed() async throws {
        let rules = [LifecycleRule(id: "t", transitions: [.init(days: 1, storageClass: "GLACIER")])]
        let f = try await fixture(rules, minimum: .variesByStorageClass)
        try await f.put("b", "small", [1])
        f.clock.advance(2 * Self.day)
        #expect(try await f.store.runLifecyclePass(schedule: schedule).transitioned == 1)
        #expect(try await f.store.object(bucket: "b", key: "small", withBody: false).metadata.storageClass == "GLACIER")
    }

    /// The configuration cache behind the `x-amz-expiration` header follows every change.
    @Test func theCachedConfigurationFollowsChanges() async throws {
        let f = try await fixture([LifecycleRule(id: "one", expiration: .init(days: 1))])
        #expect(try f.store.lifecycleConfiguration(bucket: "b")?.rules.map(\.id) == ["one"])
        try await f.store.updateBucketConfiguration(name: "b") { $0.lifecycle = nil }
        #expect(try f.store.lifecycleConfiguration(bucket: "b") == nil)
        try await f.store.updateBucketConfiguration(name: "b") { $0.lifecycle = LifecycleConfiguration(rules: [LifecycleRule(id: "two")]) }
        #expect(try f.store.lifecycleConfiguration(bucket: "b")?.rules.map(\.id) == ["two"])
        try await f.store.deleteBucket(name: "b")
        #expect(try f.store.lifecycleConfiguration(bucket: "b") == nil)
    }
}
