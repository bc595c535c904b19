import Foundation
import LockstepCrypto
@testable import Store
import Testing

/// Reading sealed bodies: exact bytes for any range, and only the frames a range touches are decrypted.
@Suite struct EncryptedBodyReaderTests {
    static let frame = Int64(FrameLayout.plaintextFrameSize)

    /// Writes `plaintext` as one sealed blob, as ingest does, and returns its segment (plaintext size).
    func sealedSegment(_ plaintext: [UInt8], key: BodyKey, in store: ObjectStore) async throws -> BodySegment {
        var (segment, _) = try await store.blobs.writeBlob { writer in
            let encryptor = try key.encryptor(identity: writer.id)
            for start in stride(from: 0, to: plaintext.count, by: 100_003) {  // pieces that straddle frames
                try encryptor.append(Array(plaintext[start..<min(start + 100_003, plaintext.count)])) { try writer.write($0) }
            }
            try encryptor.finish { try writer.write($0) }
        }
        segment.size = Int64(plaintext.count)
        return segment
    }

    func read(_ body: StoredBody, _ range: Range<Int64>, key: BodyKey?, store: ObjectStore) throws -> (bytes: [UInt8], frames: Int) {
        let reader = ObjectBodyReader(blobs: store.blobs, body: body, range: range, key: key)
        var out: [UInt8] = []
        while let chunk = try reader.next() { out += chunk.readableBytesView }
        return (out, reader.framesDecrypted)
    }

    @Test func rangedReadDecryptsOnlyTheFramesItTouches() async throws {
        let fixture = try StoreFixture()
        let key = BodyKey.random()
        let plaintext = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let body = StoredBody.segments([try await sealedSegment(plaintext, key: key, in: fixture.store)])
        let mib: Int64 = 1 << 20
        // 1 MiB from the middle, not frame-aligned: 16 frames of data spread over 17 frames.
        let middle = (4 * mib + 1000)..<(5 * mib + 1000)
        let unaligned = try read(body, middle, key: key, store: fixture.store)
        #expect(unaligned.bytes == Array(plaintext[Int(middle.lowerBound)..<Int(middle.upperBound)]))
        #expect(unaligned.frames == 17)
        let aligned = try read(body, (4 * mib)..<(5 * mib), key: key, store: fixture.store)
        #expect(aligned.frames == 16)
        #expect(try read(body, 0..<Int64(plaintext.count), key: key, store: fixture.store).frames == plaintext.count / Int(Self.frame))
        for range in [Int64(0)..<1, (Self.frame - 1)..<(Self.frame + 1), (Int64(plaintext.count) - 1)..<Int64(plaintext.count)] {
            let got = try read(body, range, key: key, store: fixture.store)
            #expect(got.bytes == Array(plaintext[Int(range.lowerBound)..<Int(range.upperBound)]))
            #expect(got.frames == FrameLayout().frames(covering: range, plaintextSize: Int64(plaintext.count)).count)
        }
    }

    @Test func multiSegmentBodiesReadAcrossPartBoundaries() async throws {
        let fixture = try StoreFixture()
        let key = BodyKey.random()
        let parts = [(0..<200_000).map { UInt8(truncatingIfNeeded: $0) }, (0..<70_001).map { UInt8(truncatingIfNeeded: $0 &* 7) }, [9, 9]]
        var segments: [BodySegment] = []
        for part in parts { segments.append(try await sealedSegment(part, key: key, in: fixture.store)) }
        let whole = parts.flatMap { $0 }
        let body = StoredBody.segments(segments)
        for range in [Int64(0)..<Int64(whole.count), 199_990..<200_010, 65_530..<270_002, 270_000..<270_003] {
            #expect(try read(body, range, key: key, store: fixture.store).bytes == Array(whole[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        // Each part is sealed under its own derived key: the wrong data key opens none of them.
        #expect(throws: StoreError.self) { try read(body, 0..<10, key: BodyKey.random(), store: fixture.store) }
    }

    @Test func inlineBodiesAreSealedFrames() throws {
        let fixture = try StoreFixture()
        let key = BodyKey.random()
        let plaintext = Array("a small body kept in the index row".utf8)
        let sealed = try key.seal(plaintext)
        #expect(sealed.count == plaintext.count + FrameLayout.tagSize)
        #expect(try read(.inline(sealed), 2..<9, key: key, store: fixture.store).bytes == Array(plaintext[2..<9]))
        var altered = sealed
        altered[3] ^= 0x40
        #expect(throws: StoreError.self) { try read(.inline(altered), 0..<Int64(plaintext.count), key: key, store: fixture.store) }
    }
}
