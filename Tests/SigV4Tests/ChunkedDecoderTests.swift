import Foundation
import LockstepCrypto
import LockstepTestSupport
@testable import SigV4
import Testing

@Suite("aws-chunked decoder")
struct ChunkedDecoderTests {
    /// Signing context of the S3 streaming example (seed 4f232c43…), reused for synthetic bodies.
    static let key = signingKey(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524", region: "us-east-1", service: "s3")
    static let signing = AWSChunkedDecoder.Signing.signed(signingKey: key, amzDate: "20130524T000000Z",
                                                          scope: "20130524/us-east-1/s3/aws4_request",
                                                          seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")

    static func payload(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static let crcTrailer = [(name: "x-amz-checksum-crc32", value: "NSRBwg==")]

    enum Mode: CaseIterable, Sendable { case signed, signedTrailer, unsignedTrailer }

    static func body(_ mode: Mode, payload: [UInt8], chunkSize: Int) -> [UInt8] {
        switch mode {
        case .signed: return AWSChunkedEncoder.encode(payload, chunkSize: chunkSize, signing: signing)
        case .signedTrailer: return AWSChunkedEncoder.encode(payload, chunkSize: chunkSize, signing: signing, trailers: crcTrailer)
        case .unsignedTrailer: return AWSChunkedEncoder.encode(payload, chunkSize: chunkSize, signing: .unsigned, trailers: crcTrailer)
        }
    }

    static func decoder(_ mode: Mode) -> AWSChunkedDecoder {
        AWSChunkedDecoder(signing: mode == .unsignedTrailer ? .unsigned : signing, trailerExpected: mode != .signed)
    }

    @Test(arguments: Mode.allCases)
    func everySplitSize(_ mode: Mode) throws {
        let data = Self.payload(20000)
        let body = Self.body(mode, payload: data, chunkSize: 8192)
        for pieces in [[1], [2], [3], [7], [64], [85], [86], [87], [4095], [8192], [8193], [body.count]] {
            let decoder = Self.decoder(mode)
            #expect(try decode(body, with: decoder, pieces: pieces) == data, "pieces \(pieces)")
            #expect(decoder.decodedLength == data.count)
            #expect(decoder.trailers.map(\.name) == (mode == .signed ? [] : ["x-amz-checksum-crc32"]))
        }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50 {
            let pieces = (0..<16).map { _ in Int.random(in: 1...300, using: &rng) }
            #expect(try decode(body, with: Self.decoder(mode), pieces: pieces) == data)
        }
    }

    /// Every split point of a small body, in two pieces.
    @Test func everySplitPoint() throws {
        let data = Self.payload(300)
        let body = AWSChunkedEncoder.encode(data, chunkSize: 64, signing: .unsigned, trailers: Self.crcTrailer)
        for cut in 0...body.count {
            let decoder = AWSChunkedDecoder(signing: .unsigned, trailerExpected: true)
            var out = [UInt8]()
            for piece in [body[..<cut], body[cut...]] {
                try piece.withUnsafeBytes { try decoder.feed($0) { out += $0 } }
            }
            try decoder.finish()
            #expect(out == data)
            #expect(decoder.trailers.count == 1)
        }
    }

    @Test func emptyPayload() throws {
        for mode in Mode.allCases {
            let decoder = Self.decoder(mode)
            #expect(try decode(Self.body(mode, payload: [], chunkSize: 8192), with: decoder) == [])
            #expect(decoder.decodedLength == 0)
        }
    }

    @Test(arguments: Mode.allCases)
    func truncatedBodies(_ mode: Mode) {
        let body = Self.body(mode, payload: Self.payload(9000), chunkSize: 8192)
        // Everything cut before the 0-size chunk's header is complete is an incomplete body.
        let finalChunk = (mode == .unsignedTrailer ? "0\r\n" : "0;chunk-signature=").utf8.count
        let lastHeaderEnd = mode == .unsignedTrailer
            ? body.count - ("x-amz-checksum-crc32:NSRBwg==\r\n\r\n".utf8.count)
            : body.indices.last { i in body[i...].starts(with: bytes("\r\n0;chunk-signature=")) }! + 2 + finalChunk + 64 + 2
        for cut in Array(0..<200) + Array(stride(from: 200, to: lastHeaderEnd, by: 97)) + [lastHeaderEnd - 2, lastHeaderEnd - 1] {
            #expect(decodeError(Array(body[..<cut]), with: Self.decoder(mode), pieces: [33]) == .incompleteBody, "cut \(cut)")
        }
    }

    @Test func missingFinalCRLFIsTolerated() throws {
        let data = Self.payload(100)
        var body = AWSChunkedEncoder.encode(data, chunkSize: 8192, signing: Self.signing)
        body.removeLast(2)
        #expect(try decode(body, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false)) == data)
        body.removeLast(1)  // cut inside the 0-size chunk's own line
        #expect(decodeError(body, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false)) == .incompleteBody)

        var trailed = AWSChunkedEncoder.encode(data, chunkSize: 8192, signing: .unsigned, trailers: Self.crcTrailer)
        trailed.removeLast(2)
        let decoder = AWSChunkedDecoder(signing: .unsigned, trailerExpected: true)
        #expect(try decode(trailed, with: decoder) == data)
        #expect(decoder.trailers.map(\.value) == ["NSRBwg=="])
    }

    @Test func corruptedChunkData() {
        let data = Self.payload(20000)
        let body = AWSChunkedEncoder.encode(data, chunkSize: 8192, signing: Self.signing)
        let firstData = bytes("2000;chunk-signature=").count + 64 + 2
        for offset in [firstData, firstData + 1, firstData + 8191, firstData + 8192 + 2 + 88 + 5000, body.count - 200] {
            var bad = body
            bad[offset] ^= 0x01
            let error = decodeError(bad, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false), pieces: [1000])
            #expect(error == .chunkSignatureMismatch, "offset \(offset)")
        }
        // A wrong seed fails on the first chunk.
        let otherSeed = AWSChunkedDecoder.Signing.signed(signingKey: Self.key, amzDate: "20130524T000000Z",
                                                         scope: "20130524/us-east-1/s3/aws4_request",
                                                         seedSignature: String(repeating: "0", count: 64))
        #expect(decodeError(body, with: AWSChunkedDecoder(signing: otherSeed, trailerExpected: false)) == .chunkSignatureMismatch)
    }

    @Test func trailerSignature() {
        let data = [UInt8](repeating: UInt8(ascii: "a"), count: 100)  // ASCII, so the body can be edited as text
        let body = AWSChunkedEncoder.encode(data, chunkSize: 8192, signing: Self.signing, trailers: Self.crcTrailer)
        let text = String(decoding: body, as: UTF8.self)
        let signatureLine = text.range(of: "x-amz-trailer-signature:")!
        // A flipped signature digit.
        var bad = Array(body)
        let digit = text.utf8.distance(from: text.utf8.startIndex, to: signatureLine.upperBound.samePosition(in: text.utf8)!)
        bad[digit] = bad[digit] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(decodeError(bad, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: true)) == .trailerSignatureMismatch)
        // No trailer signature at all.
        let unsignedTrailer = Array(text[..<signatureLine.lowerBound].utf8) + bytes("\r\n")
        #expect(decodeError(unsignedTrailer, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: true))
            == .trailerSignatureMismatch)
        // An extra trailer line that was not signed.
        let injected = Array(text.replacingOccurrences(of: "x-amz-trailer-signature:", with: "x-amz-meta-x:1\r\nx-amz-trailer-signature:").utf8)
        #expect(decodeError(injected, with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: true)) == .trailerSignatureMismatch)
    }

    @Test func unsignedTrailerParsing() throws {
        #expect(ChecksumComputer.base64(.crc32, bytes("abc")) == "NSRBwg==")
        let cases: [(String, [(String, String)])] = [
            ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", [("x-amz-checksum-crc32", "NSRBwg==")]),
            ("3;ext=1;other\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32 : NSRBwg== \r\n\r\n", [("x-amz-checksum-crc32", "NSRBwg==")]),
            ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n", [("x-amz-checksum-crc32", "NSRBwg==")]),
            ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==", [("x-amz-checksum-crc32", "NSRBwg==")]),
            ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r", [("x-amz-checksum-crc32", "NSRBwg==")]),
            // A stray empty line between the 0-size chunk and the trailers.
            ("3\r\nabc\r\n0\r\n\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", [("x-amz-checksum-crc32", "NSRBwg==")]),
            ("3\r\nabc\r\n0\r\n\r\n", []),
            ("3\r\nabc\r\n0\r\n", []),
            ("3\r\nabc\r\n0\r\na:1\r\nb:2\r\nx-amz-trailer-signature:00\r\n\r\n", [("a", "1"), ("b", "2")]),
            ("A\r\n0123456789\r\n0\r\n\r\n", []),
        ]
        for (body, trailers) in cases {
            let decoder = AWSChunkedDecoder(signing: .unsigned, trailerExpected: true)
            let out = try decode(bytes(body), with: decoder, pieces: [1])
            #expect(out.count == (body.hasPrefix("A") ? 10 : 3), "\(body)")
            #expect(decoder.trailers.map(\.name) == trailers.map(\.0), "\(body)")
            #expect(decoder.trailers.map(\.value) == trailers.map(\.1), "\(body)")
        }
    }

    @Test func malformedBodies() {
        let cases: [(String, AWSChunkedDecoder.Signing, Bool)] = [
            ("zz\r\nabc\r\n0\r\n\r\n", .unsigned, true),
            ("\r\n", .unsigned, true),
            ("-3\r\nabc\r\n0\r\n\r\n", .unsigned, true),
            ("1000000000000\r\n", .unsigned, true),
            ("3\nabc\r\n0\r\n\r\n", .unsigned, true),                // bare LF
            ("3\r\nabcX\r\n0\r\n\r\n", .unsigned, true),             // data longer than announced
            ("3\r\nabc\r\n0\r\n\r\nextra", .unsigned, false),        // data after the end
            ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", .unsigned, false),  // trailer not expected
            ("3\r\nabc\r\n0\r\nno-colon\r\n\r\n", .unsigned, true),
            ("3\r\nabc\r\n0\r\n:value\r\n\r\n", .unsigned, true),
            ("3\r\nabc\r\n0\r\na:1\r\n\r\nmore", .unsigned, true),
            ("3\r\nabc\r\n0\r\n\r\n", Self.signing, false),                // no chunk-signature in signed mode
            ("3;chunk-signature=abc\r\nabc\r\n0\r\n\r\n", Self.signing, false),
        ]
        for (body, signing, trailer) in cases {
            let error = decodeError(bytes(body), with: AWSChunkedDecoder(signing: signing, trailerExpected: trailer))
            guard case .malformedChunk = error else {
                Issue.record("\(body.debugDescription): \(String(describing: error))")
                continue
            }
        }
    }

    @Test func boundedLines() {
        // A header line that never ends is rejected once it exceeds the limit, not buffered.
        let decoder = AWSChunkedDecoder(signing: .unsigned, trailerExpected: true)
        let long = bytes("3;") + [UInt8](repeating: UInt8(ascii: "x"), count: AWSChunkedDecoder.maxLineLength)
        #expect(throws: AWSChunkedError.self) { try long.withUnsafeBytes { try decoder.feed($0) { _ in } } }
        // A line right at the limit is fine.
        let atLimit = bytes("3;") + [UInt8](repeating: UInt8(ascii: "x"), count: AWSChunkedDecoder.maxLineLength - 2) + bytes("\r\nabc\r\n0\r\n\r\n")
        #expect(decodeError(atLimit, with: AWSChunkedDecoder(signing: .unsigned, trailerExpected: true), pieces: [100]) == nil)
        // Too many trailers.
        var many = "0\r\n"
        for i in 0...AWSChunkedDecoder.maxTrailers { many += "x-amz-meta-\(i):v\r\n" }
        #expect(decodeError(bytes(many + "\r\n"), with: AWSChunkedDecoder(signing: .unsigned, trailerExpected: true))
            == .malformedChunk("too many trailers"))
    }

    @Test func minimumSignedChunkSize() throws {
        let data = Self.payload(9000)
        // 100-byte chunks: only the last may be small.
        #expect(decodeError(AWSChunkedEncoder.encode(data, chunkSize: 100, signing: Self.signing),
                            with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false)) == .chunkTooSmall)
        #expect(decodeError(AWSChunkedEncoder.encode(data, chunkSize: 8191, signing: Self.signing),
                            with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false)) == .chunkTooSmall)
        for size in [8192, 9000, 100_000] {
            #expect(try decode(AWSChunkedEncoder.encode(data, chunkSize: size, signing: Self.signing),
                               with: AWSChunkedDecoder(signing: Self.signing, trailerExpected: false)) == data)
        }
        // Small chunks are fine for unsigned bodies.
        #expect(try decode(AWSChunkedEncoder.encode(data, chunkSize: 100, signing: .unsigned, trailers: []),
                           with: AWSChunkedDecoder(signing: .unsigned, trailerExpected: true)) == data)
    }

    @Test func errorsAreSticky() {
        let decoder = AWSChunkedDecoder(signing: .unsigned, trailerExpected: false)
        let bad = bytes("zz\r\n")
        #expect(throws: AWSChunkedError.malformedChunk("invalid chunk size")) { try bad.withUnsafeBytes { try decoder.feed($0) { _ in } } }
        let good = bytes("0\r\n\r\n")
        #expect(throws: AWSChunkedError.malformedChunk("invalid chunk size")) { try good.withUnsafeBytes { try decoder.feed($0) { _ in } } }
        #expect(throws: AWSChunkedError.malformedChunk("invalid chunk size")) { try decoder.finish() }
    }

    /// Random garbage and mutated valid bodies, in random pieces: the decoder may fail but never crash, never
    /// hands out more bytes than it received, and reports what it handed out.
    @Test func fuzz() {
        var rng = SplitMix64(seed: 2024)
        let alphabet = bytes("0123456789abcdefABCDEF;=:\r\n-xz chunk-signature")
        let valid = Mode.allCases.map { Self.body($0, payload: Self.payload(9000, seed: 3), chunkSize: 8192) }
            + [bytes("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n")]
        for iteration in 0..<3000 {
            var input: [UInt8]
            switch iteration % 3 {
            case 0:
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            default:
                input = valid.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<input.count, using: &rng)
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: input[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: input.remove(at: at)
                    default: input.insert(alphabet.randomElement(using: &rng)!, at: at)
                    }
                }
            }
            let signing: AWSChunkedDecoder.Signing = Bool.random(using: &rng) ? Self.signing : .unsigned
            let decoder = AWSChunkedDecoder(signing: signing, trailerExpected: Bool.random(using: &rng))
            var produced = 0
            var offset = 0
            do {
                while offset < input.count {
                    let n = min(Int.random(in: 1...64, using: &rng), input.count - offset)
                    try input[offset..<(offset + n)].withUnsafeBytes { try decoder.feed($0) { produced += $0.count } }
                    offset += n
                }
                try decoder.finish()
            } catch {
                #expect(error is AWSChunkedError)
            }
            #expect(produced <= input.count)
            #expect(produced == decoder.decodedLength)
        }
    }
}
