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
    }
}
