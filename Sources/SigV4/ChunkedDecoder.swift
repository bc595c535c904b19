import LockstepCrypto

public enum AWSChunkedError: Error, Equatable, Sendable {
    /// The body ended before the final 0-size chunk (or, when expected, before the trailer section).
    case incompleteBody
    case malformedChunk(String)
    case chunkSignatureMismatch
    case trailerSignatureMismatch
    /// A signed chunk other than the last one is smaller than 8 KiB (S3: InvalidChunkSizeError).
    case chunkTooSmall
}

/// Incremental decoder of `Content-Encoding: aws-chunked` bodies.
///
/// Payload bytes are handed out as they arrive and hashed on the way; a chunk's signature is checked when its
/// last byte has been seen. Callers must therefore commit nothing until `finish()` returns. Memory use is bounded
/// by the longest accepted header or trailer line, whatever the chunk sizes.
public final class AWSChunkedDecoder {
    public enum Signing: Sendable {
        case unsigned
        case signed(signingKey: [UInt8], amzDate: String, scope: String, seedSignature: String)
    }

    /// Longest chunk-header or trailer line, CRLF excluded.
    public static let maxLineLength = 4096
    public static let maxTrailers = 32
    /// S3's minimum for signed chunks other than the last.
    public static let minSignedChunkSize = 8192

    private enum State {
        case chunkHeader
        case data(remaining: Int)
        case dataCR
        case dataLF
        /// After the 0-size chunk when no trailer is expected: only the closing empty line may follow.
        case closingLine
        case trailer
        /// An empty line came right after the 0-size chunk: either the end, or a stray separator before trailers.
        case trailerOrEnd
        case done
    }

    private let signing: Signing
    private let trailerExpected: Bool
    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var failure: Error?
    private var chunkDigest: Digest?
    private var chunkSignature = ""
    private var previousSignature: String
    private var previousDataChunkSize: Int?
    private var trailerSignature: String?
    private var sawLeadingEmptyTrailerLine = false

    /// Trailer headers with lower-cased names, e.g. ("x-amz-checksum-crc32", "ShexVg=="); the trailer signature
    /// line is not included.
    public private(set) var trailers: [(name: String, value: String)] = []
    /// Payload bytes handed out so far.
    public private(set) var decodedLength = 0

    public init(signing: Signing, trailerExpected: Bool) {
        self.signing = signing
        self.trailerExpected = trailerExpected
        if case .signed(_, _, _, let seed) = signing { previousSignature = asciiLowercased(seed) } else { previousSignature = "" }
    }

    private var isSigned: Bool { if case .signed = signing { return true } else { return false } }

    /// Feeds raw body bytes; decoded payload bytes go to `output`, possibly in several pieces.
    public func feed(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let failure { throw failure }
        do {
            try process(bytes, output: output)
        } catch {
            failure = error
            throw error
        }
    }

    /// Call once the body has ended; throws unless the final chunk (and trailer section, when expected) arrived.
    public func finish() throws {
        if let failure { throw failure }
        do {
            switch state {
            case .done:
                break
            case .closingLine where line.isEmpty || line == [0x0D]:
                // The closing CRLF is missing or cut short; every chunk was complete, so nothing is lost.
                state = .done
            case .trailer:
                // Some clients end the body right after the last trailer line, or even without its CRLF.
                if line.last == 0x0D { line.removeLast() }
                if !line.isEmpty {
                    guard !line.contains(0x0D) else { throw AWSChunkedError.malformedChunk("stray CR in line") }
                    try trailerLine(line)
                    line = []
                }
                try completeTrailers()
            case .trailerOrEnd:
                try completeTrailers()
            default:
                throw AWSChunkedError.incompleteBody
            }
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: Parsing

    private func process(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .data(let remaining):
                let take = min(remaining, n - i)
                let piece = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])
                chunkDigest?.update(piece)
                i += take
                if take == remaining {
                    // The chunk's last bytes go out only once its signature has been checked.
                    try endOfChunkData()
                    state = .dataCR
                } else {
                    state = .data(remaining: remaining - take)
                }
                decodedLength += take
                try output(piece)
            case .dataCR:
                guard bytes[i] == 0x0D else { throw AWSChunkedError.malformedChunk("chunk data not followed by CRLF") }
                state = .dataLF
                i += 1
            case .dataLF:
                guard bytes[i] == 0x0A else { throw AWSChunkedError.malformedChunk("chunk data not followed by CRLF") }
                state = .chunkHeader
                i += 1
            case .done:
                throw AWSChunkedError.malformedChunk("data after the end of the aws-chunked body")
            case .trailerOrEnd:
                state = .trailer
            case .chunkHeader, .closingLine, .trailer:
                var j = i
                while j < n && bytes[j] != 0x0A { j += 1 }
                guard line.count + (j - i) <= Self.maxLineLength + 1 else {
                    throw AWSChunkedError.malformedChunk("line longer than \(Self.maxLineLength) bytes")
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                guard j < n else { return }
                i = j + 1
                guard line.last == 0x0D else { throw AWSChunkedError.malformedChunk("line not terminated by CRLF") }
                line.removeLast()
                let complete = line
                line = []
                try completeLine(complete)
            }
        }
    }

    private func completeLine(_ l: [UInt8]) throws {
        guard !l.contains(0x0D) else { throw AWSChunkedError.malformedChunk("stray CR in line") }
        switch state {
        case .chunkHeader:
            try chunkHeader(l)
        case .closingLine:
            guard l.isEmpty else { throw AWSChunkedError.malformedChunk("unexpected trailer after the final chunk") }
            state = .done
        case .trailer:
            if l.isEmpty {
                if trailers.isEmpty && trailerSignature == nil && !sawLeadingEmptyTrailerLine {
                    sawLeadingEmptyTrailerLine = true
                    state = .trailerOrEnd
                } else {
                    try completeTrailers()
                }
            } else {
                try trailerLine(l)
            }
        default:
            break
        }
    }

    /// "hex-size[;name=value]*"
    private func chunkHeader(_ l: [UInt8]) throws {
        let parts = l.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        let sizeField = parts[0].trimmingWhitespace
        guard !sizeField.isEmpty, sizeField.count <= 12, sizeField.allSatisfy(isHexDigit),
              let size = Int(String(decoding: sizeField, as: UTF8.self), radix: 16)
        else { throw AWSChunkedError.malformedChunk("invalid chunk size") }

        var signature: String?
        for ext in parts.dropFirst() {
            let kv = ext.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            if kv[0].trimmingWhitespace.elementsEqual("chunk-signature".utf8), kv.count == 2 {
                signature = String(decoding: kv[1].trimmingWhitespace, as: UTF8.self)
            }
        }

        if case .signed = signing {
            guard let signature, signature.utf8.count == 64, signature.utf8.allSatisfy(isHexDigit) else {
                throw AWSChunkedError.malformedChunk("missing or invalid chunk-signature")
            }
            chunkSignature = asciiLowercased(signature)
            if size > 0 {
                if let previous = previousDataChunkSize, previous < Self.minSignedChunkSize { throw AWSChunkedError.chunkTooSmall }
                previousDataChunkSize = size
            }
        }

        if size > 0 {
            chunkDigest = isSigned ? Digest(.sha256) : nil
            state = .data(remaining: size)
        } else {
            if isSigned { try verifyChunk(sha256Hex: emptySHA256Hex) }
            state = trailerExpected ? .trailer : .closingLine
        }
    }

    private func endOfChunkData() throws {
        guard let digest = chunkDigest else { return }
        chunkDigest = nil
        try verifyChunk(sha256Hex: digest.finalize().hexString)
    }

    private func verifyChunk(sha256Hex: String) throws {
        guard case .signed(let key, let amzDate, let scope, _) = signing else { return }
        let expected = ChunkSigning.chunkSignature(signingKey: key, amzDate: amzDate, scope: scope,
                                                   previousSignature: previousSignature, chunkSHA256Hex: sha256Hex)
        guard constantTimeEquals(Array(expected.utf8), Array(chunkSignature.utf8)) else {
            throw AWSChunkedError.chunkSignatureMismatch
        }
        previousSignature = expected
    }

    /// "name:value"
    private func trailerLine(_ l: [UInt8]) throws {
        guard let colon = l.firstIndex(of: UInt8(ascii: ":")) else {
            throw AWSChunkedError.malformedChunk("trailer line without ':'")
        }
        let name = asciiLowercased(String(decoding: l[..<colon].trimmingWhitespace, as: UTF8.self))
        let value = String(decoding: l[(colon + 1)...].trimmingWhitespace, as: UTF8.self)
        guard !name.isEmpty else { throw AWSChunkedError.malformedChunk("trailer line without a name") }
        if name == "x-amz-trailer-signature" {
            guard trailerSignature == nil else { throw AWSChunkedError.malformedChunk("repeated x-amz-trailer-signature") }
            trailerSignature = asciiLowercased(value)
            return
        }
        guard trailers.count < Self.maxTrailers else { throw AWSChunkedError.malformedChunk("too many trailers") }
        trailers.append((name: name, value: value))
    }

    private func completeTrailers() throws {
        if case .signed(let key, let amzDate, let scope, _) = signing {
            let canonical = trailers.map { $0.name + ":" + $0.value + "\n" }.joined()
            let expected = ChunkSigning.trailerSignature(signingKey: key, amzDate: amzDate, scope: scope,
                                                         previousSignature: previousSignature, canonicalTrailer: canonical)
            guard let provided = trailerSignature, constantTimeEquals(Array(expected.utf8), Array(provided.utf8)) else {
                throw AWSChunkedError.trailerSignatureMismatch
            }
        }
        state = .done
    }
}

extension Collection where Element == UInt8 {
    fileprivate var trimmingWhitespace: SubSequence {
        let isSpace = { (c: UInt8) in c == 0x20 || c == 0x09 }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        var last = first
        var i = first
        while i != endIndex {
            if !isSpace(self[i]) { last = i }
            i = index(after: i)
        }
        return self[first...last]
    }
}
