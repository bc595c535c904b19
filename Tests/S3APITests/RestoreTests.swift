import Foundation
import LockstepTestSupport
import Store
import Testing

/// Archived versions (GLACIER, DEEP_ARCHIVE): unreadable until restored, restores that take the tier's time on the
/// store clock and last their Days.
@Suite("Archive and restore")
struct RestoreTests {
    func restore(_ s3: S3TestServer, _ key: String, days: Int = 2, tier: String = "Standard") async -> Reply {
        let body = Array("<RestoreRequest><Days>\(days)</Days><GlacierJobParameters><Tier>\(tier)</Tier></GlacierJobParameters></RestoreRequest>".utf8)
        return await s3.send(.post, "/archive/\(key)", query: "restore", body: body)
    }

    @Test func anArchivedObjectIsReadableOnlyWhileRestored() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("archive")
        #expect(await s3.put("archive", "cold", [1, 2, 3], headers: [("x-amz-storage-class", "GLACIER")]).status == 200)
        let locked = await s3.get("archive", "cold")
        expectWellFormedError(locked, code: "InvalidObjectState", status: 403)
        #expect(locked.xml?.value("StorageClass") == "GLACIER")
        let head = await s3.send(.head, "/archive/cold")
        #expect(head.status == 200 && head.header("x-amz-storage-class") == "GLACIER" && head.header("x-amz-restore") == nil)
        expectWellFormedError(await s3.send(.put, "/archive/copy", headers: [("x-amz-copy-source", "/archive/cold")]),
                              code: "InvalidObjectState", status: 403)

        #expect(await restore(s3, "cold").status == 202)
        #expect(await s3.send(.head, "/archive/cold").header("x-amz-restore") == "ongoing-request=\"true\"")
        expectWellFormedError(await restore(s3, "cold"), code: "RestoreAlreadyInProgress", status: 409)
        expectWellFormedError(await s3.get("archive", "cold"), code: "InvalidObjectState", status: 403)

        // Standard from GLACIER: four hours on the store clock; the copy lasts two days, to the next midnight.
        s3.clock.advance(seconds: 4 * 3600)
        #expect(await s3.send(.head, "/archive/cold").header("x-amz-restore")
                == "ongoing-request=\"false\", expiry-date=\"Tue, 04 Mar 2025 00:00:00 GMT\"")
        let read = await s3.get("archive", "cold")
        #expect(read.status == 200 && read.body == [1, 2, 3])
        #expect(await s3.send(.put, "/archive/copy", headers: [("x-amz-copy-source", "/archive/cold")]).status == 200)
        // Asked again while restored: the expiry moves, at once.
        #expect(await restore(s3, "cold", days: 5).status == 200)
        #expect(await s3.send(.head, "/archive/cold").header("x-amz-restore")?.contains("Fri, 07 Mar 2025") == true)

        s3.clock.advance(seconds: 7 * 86_400)
        expectWellFormedError(await s3.get("archive", "cold"), code: "InvalidObjectState", status: 403)
        #expect(await s3.send(.head, "/archive/cold").header("x-amz-restore") == nil)
    }

    @Test func restoresAreRefusedWhereTheyMakeNoSense() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("archive")
        #expect(await s3.put("archive", "warm", [1]).status == 200)
        let standard = await restore(s3, "warm")
        expectWellFormedError(standard, code: "InvalidObjectState", status: 403)
        #expect(standard.xml?.value("Message") == "Restore is not allowed for the object's current storage class")
        #expect(await s3.put("archive", "deep", [1], headers: [("x-amz-storage-class", "DEEP_ARCHIVE")]).status == 200)
        expectWellFormedError(await restore(s3, "deep", days: 0), code: "MalformedXML", status: 400)
        expectWellFormedError(await restore(s3, "deep", tier: "Soon"), code: "MalformedXML", status: 400)
        expectWellFormedError(await restore(s3, "missing"), code: "NoSuchKey", status: 404)
        // Bulk from DEEP_ARCHIVE takes two days.
        #expect(await restore(s3, "deep", tier: "Bulk").status == 202)
        s3.clock.advance(seconds: 47 * 3600)
        expectWellFormedError(await s3.get("archive", "deep"), code: "InvalidObjectState", status: 403)
        s3.clock.advance(seconds: 3600)
        #expect(await s3.get("archive", "deep").status == 200)
    }
}
