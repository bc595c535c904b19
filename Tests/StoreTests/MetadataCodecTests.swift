import Foundation
import LockstepCrypto
@testable import Store
import Testing

@Suite struct MetadataCodecTests {
    @Test func roundTripsEveryField() throws {
        let full = ObjectMetadata(contentType: "text/plain; charset=utf-8", contentEncoding: "gzip", contentDisposition: "attachment; filename=\"é.txt\"",
                                  contentLanguage: "fr", cacheControl: "no-cache", expires: "Thu, 01 Dec 1994 16:00:00 GMT",
                                  userMetadata: [Tag(key: "owner", value: "ünïcode ✓"), Tag(key: "empty", value: "")],
                                  tags: [Tag(key: "k", value: String(repeating: "v", count: 300))], storageClass: "GLACIER",
                                  checksum: StoredChecksum(algorithm: .crc64nvme, value: "AAAAAAAAAAA=", kind: .fullObject))
        #expect(try MetadataCodec.decode(MetadataCodec.encode(full)) == full)
        let empty = ObjectMetadata()
        #expect(try MetadataCodec.decode(MetadataCodec.encode(empty)) == empty)
        let composite = ObjectMetadata(checksum: StoredChecksum(algorithm: .sha256, value: "abc=-3", kind: .composite))
        #expect(try MetadataCodec.decode(MetadataCodec.encode(composite)) == composite)
        let encrypted = ObjectMetadata(encryption: ObjectEncryption(mode: .sseKMS, keyId: "1234abcd-12ab-34cd-56ef-1234567890ab", bucketKeyEnabled: true,
                                                                    context: "e30=", wrappedKey: Data(secureRandomBytes(77)),
                                                                    noncePrefix: Data(secureRandomBytes(4))))
        #expect(try MetadataCodec.decode(MetadataCodec.encode(encrypted)) == encrypted)
        let customer = ObjectMetadata(encryption: ObjectEncryption(mode: .sseC, wrappedKey: Data(secureRandomBytes(60)), noncePrefix: Data([1, 2, 3, 4]),
                                                                   customerKeyMD5: "zZ5FnqnkJc7Jjf0gXfR4Tg=="))
        #expect(try MetadataCodec.decode(MetadataCodec.encode(customer)) == customer)
        var locked = ObjectMetadata(storageClass: "DEEP_ARCHIVE")
        locked.retention = ObjectRetention(mode: .compliance, retainUntilMillis: 1_893_456_000_123)
        locked.legalHold = true
        locked.restore = RestoreState(tier: "Bulk", days: 3, requestedMillis: 1, completesMillis: 43_200_001, expiresMillis: 302_400_001)
        #expect(try MetadataCodec.decode(MetadataCodec.encode(locked)) == locked)
        var owned = ObjectMetadata()
        owned.owner = "111111111111"
        owned.acl = AccessControlList(grants: [ACLGrant(.canonicalUser(String(repeating: "a", count: 64)), .fullControl),
                                               ACLGrant(.allUsers, .read), ACLGrant(.authenticatedUsers, .readACP)])
        #expect(try MetadataCodec.decode(MetadataCodec.encode(owned)) == owned)
        var completed = ObjectMetadata()
        completed.completedUpload = CompletedUpload(uploadId: "VXBsb2FkIElE", partsDigest: String(repeating: "ab", count: 32))
        #expect(try MetadataCodec.decode(MetadataCodec.encode(completed)) == completed)
        var privateACL = ObjectMetadata()
        privateACL.acl = AccessControlList(grants: [])
        #expect(try MetadataCodec.decode(MetadataCodec.encode(privateACL)) == privateACL)
        for hold in [nil, false, true] as [Bool?] {
            var held = ObjectMetadata()
            held.legalHold = hold
            #expect(try MetadataCodec.decode(MetadataCodec.encode(held)).legalHold == hold)
        }
    }

    /// Rows written before Object Lock and restore (format 2) still decode, with neither.
    @Test func decodesFormatTwoRowsWithoutLockOrRestore() throws {
        let metadata = ObjectMetadata(contentType: "a/b", storageClass: "GLACIER")
        var formatTwo = Array(MetadataCodec.encode(metadata))
        #expect(Array(formatTwo.suffix(6)) == [0, 0, 0, 0, 0, 0])  // no retention, legal hold, restore, owner, ACL, upload
        formatTwo.removeLast(6)
        formatTwo[0] = 2
        #expect(try MetadataCodec.decode(Data(formatTwo)) == metadata)
    }

    /// Rows written before accounts (format 3) decode with the bucket's owner and a private ACL.
    @Test func decodesFormatThreeRowsWithoutOwnerOrACL() throws {
        let metadata = ObjectMetadata(contentType: "a/b", storageClass: "GLACIER")
        var formatThree = Array(MetadataCodec.encode(metadata))
        formatThree.removeLast(3)
        formatThree[0] = 3
        let decoded = try MetadataCodec.decode(Data(formatThree))
        #expect(decoded == metadata && decoded.owner == nil && decoded.acl == nil)
    }

    /// Rows written before encryption at rest (format 1) still decode, as unencrypted.
    @Test func decodesFormatOneRowsAsUnencrypted() throws {
        let metadata = ObjectMetadata(contentType: "a/b", checksum: StoredChecksum(algorithm: .crc32, value: "AAAAAA==", kind: .fullObject))
        var formatOne = Array(MetadataCodec.encode(metadata))
        formatOne.removeLast(6)  // format 3's lock and restore sections, format 4's owner and ACL, format 5's upload
        #expect(formatOne.removeLast() == 0)  // the absent encryption record
        formatOne[0] = 1
        #expect(try MetadataCodec.decode(Data(formatOne)) == metadata)
        formatOne[0] = 3
        #expect(throws: (any Error).self) { try MetadataCodec.decode(Data(formatOne)) }
    }

    @Test func rejectsMalformedInput() {
        let good = MetadataCodec.encode(ObjectMetadata(contentType: "a/b", userMetadata: [Tag(key: "x", value: "y")]))
        #expect(throws: (any Error).self) { try MetadataCodec.decode(Data()) }
        #expect(throws: (any Error).self) { try MetadataCodec.decode(Data(Array("{\"storageClass\":\"STANDARD\"}".utf8))) }
        for cut in 1..<good.count {
            #expect(throws: (any Error).self) { try MetadataCodec.decode(good.prefix(cut)) }
        }
        // A length that points past the end must fail, not crash.
        #expect(throws: (any Error).self) { try MetadataCodec.decode(Data([1, 1, 0x7F, 0x41])) }
        let encrypted = MetadataCodec.encode(ObjectMetadata(encryption: ObjectEncryption(mode: .sseS3, keyId: "k", wrappedKey: Data([1, 2, 3]),
                                                                                         noncePrefix: Data([4, 5, 6, 7]))))
        for cut in 1..<encrypted.count {
            #expect(throws: (any Error).self) { try MetadataCodec.decode(encrypted.prefix(cut)) }
        }
    }
}
