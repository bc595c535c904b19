import FrontDoors
import HTTPTypes
import LockstepCrypto
import NIOCore
import SigV4
import Store

/// What the body turned out to be once fully read and verified.
struct PayloadDigests {
    var length: Int64
    var md5Hex: String?
    var checksum: StoredChecksum?
}

/// Wraps a request body so handlers see only verified, de-chunked bytes: decodes aws-chunked framing (checking chunk
/// and trailer signatures), checks the signed SHA-256, Content-MD5 and `x-amz-checksum-*` (header or trailer), and the
/// declared length. Nothing may be committed before `finish()` returns.
final class PayloadReader {
    private let stream: BodyStream
    private let decoder: AWSChunkedDecoder?
    private let signedSHA256: String?
    private let sha256: Digest?
    private let md5: Digest?
    private let expectedMD5: [UInt8]?
    private let checksum: ChecksumComputer?
    private let checksumInHeader: String?
    private let checksumInTrailer: Bool
    /// Decoded length the client declared (Content-Length, or x-amz-decoded-content-length for aws-chunked).
    let declaredLength: Int64?
    private(set) var length: Int64 = 0
    private var lanes: DigestLanes?

    /// - Parameters:
    ///   - computeMD5: the ETag of simple objects and parts is the body's MD5.
    ///   - defaultChecksum: the algorithm to compute when the client sends none (S3 stores CRC64NVME for every new object).
    init(request: APIRequest, auth: VerifiedRequest?, computeMD5: Bool, defaultChecksum: ChecksumAlgorithm?) throws {
        stream = request.body
        let payload = auth?.payload ?? .unsigned
        decoder = auth?.makeChunkedDecoder()
        if case .signed(let hex) = payload {
            signedSHA256 = hex
            sha256 = Digest(.sha256)
        } else {
            signedSHA256 = nil
            sha256 = nil
        }

        if let contentMD5 = request.header("content-md5") {
            guard let bytes = Base64.decode(contentMD5), bytes.count == 16 else { throw S3Error.invalidDigest() }
            expectedMD5 = bytes
        } else {
            expectedMD5 = nil
        }
        md5 = (computeMD5 || expectedMD5 != nil) ? Digest(.md5) : nil

        // Which additional checksum: a value header, a declared trailer, or the SDK's algorithm header.
        var headerChecksums: [(ChecksumAlgorithm, String)] = []
        for field in request.headers {
            if let algorithm = ChecksumAlgorithm(headerName: field.name.canonicalName) { headerChecksums.append((algorithm, field.value)) }
        }
        if headerChecksums.count > 1 {
            throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        let trailerNames = (request.header("x-amz-trailer") ?? "").split(separator: ",").map { $0.strippingSpaces().lowercased() }
        let trailerAlgorithm = trailerNames.compactMap(ChecksumAlgorithm.init(headerName:)).first
        if !trailerNames.isEmpty && !payload.hasTrailer {
            throw S3Error.invalidRequest("The value specified in the x-amz-trailer header is not supported")
        }
        if trailerNames.count > 0 && trailerAlgorithm == nil {
            throw S3Error.invalidRequest("The value specified in the x-amz-trailer header is not supported")
        }
        let sdkAlgorithmName = request.header("x-amz-sdk-checksum-algorithm") ?? request.header("x-amz-checksum-algorithm")
        let sdkAlgorithm = try sdkAlgorithmName.map { name -> ChecksumAlgorithm in
            guard let a = ChecksumAlgorithm(name: name) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            return a
        }
        if let (algorithm, value) = headerChecksums.first {
            guard let raw = Base64.decode(value), raw.count == algorithm.digestLength else {
                throw S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.")
            }
            if let sdkAlgorithm, sdkAlgorithm != algorithm {
                throw S3Error.invalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
            }
            checksum = ChecksumComputer(algorithm)
            checksumInHeader = value
            checksumInTrailer = false
        } else if let trailerAlgorithm {
            checksum = ChecksumComputer(trailerAlgorithm)
            checksumInHeader = nil
            checksumInTrailer = true
        } else if let algorithm = sdkAlgorithm ?? defaultChecksum {
            checksum = ChecksumComputer(algorithm)
            checksumInHeader = nil
            checksumInTrailer = false
        } else {
            checksum = nil
            checksumInHeader = nil
            checksumInTrailer = false
        }

        if payload.isStreaming {
            guard let decoded = request.header("x-amz-decoded-content-length") else {
                throw S3Error("MissingContentLength", .lengthRequired, "You must provide the Content-Length HTTP header.")
            }
            guard let n = Int64(decoded), n >= 0 else { throw S3Error.invalidArgument("Invalid x-amz-decoded-content-length", name: "x-amz-decoded-content-length", value: decoded) }
            declaredLength = n
        } else {
            declaredLength = request.header("content-length").flatMap { Int64($0) }
        }
    }

    /// From now on, hash on two other threads and hand every chunk to `sink` there too (large bodies): MD5 on one lane,
    /// SHA-256, the additional checksum and the sink on the other. `next()` still returns the chunks; the caller must
    /// not write them itself, and must call `complete()` instead of `finish()`.
    func parallelize(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        let md5 = self.md5, sha256 = self.sha256, checksum = self.checksum
        var first: [DigestLanes.Work] = []
        var second: [DigestLanes.Work] = []
        if let md5 { first.append { md5.update($0) } }
        if let sha256 { second.append { sha256.update($0) } }
        if let checksum { second.append { checksum.update($0) } }
        second.append(sink)
        lanes = DigestLanes([first, second].filter { !$0.isEmpty })
    }

    /// `finish()` after the parallel lanes have processed everything.
    func complete() async throws -> PayloadDigests {
        if let lanes { try await lanes.finish() }
        return try finish()
    }

    /// The next piece of verified-so-far payload, or nil at the end (call `finish()` then).
    func next() async throws -> ByteBuffer? {
        while true {
            guard var raw = try await stream.next() else { return nil }
            if let decoder {
                var out = ByteBuffer()
                do {
                    try raw.withUnsafeReadableBytes { bytes in
                        try decoder.feed(bytes) { piece in out.writeBytes(piece) }
                    }
                } catch let error as AWSChunkedError {
                    throw Self.map(error)
                }
                if out.readableBytes == 0 { continue }
                raw = out
            }
            if let lanes {
                try await lanes.submit(raw)
            } else {
                raw.withUnsafeReadableBytes { bytes in
                    sha256?.update(bytes)
                    md5?.update(bytes)
                    checksum?.update(bytes)
                }
            }
            length += Int64(raw.readableBytes)
            if let declaredLength, length > declaredLength { throw S3Error.incompleteBody() }
            return raw
        }
    }

    /// Reads the whole (small, XML) body into memory, refusing anything larger than `limit`.
    func collect(limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await next() {
            guard bytes.count + chunk.readableBytes <= limit else {
                throw S3Error("MaxMessageLengthExceeded", .badRequest, "Your request was too big.")
            }
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    /// Verifies everything that can only be checked at the end of the body.
    func finish() throws -> PayloadDigests {
        if let decoder {
            do { try decoder.finish() } catch let error as AWSChunkedError { throw Self.map(error) }
        }
        if let declaredLength, length != declaredLength { throw S3Error.incompleteBody() }
        if let signedSHA256, let sha256 {
            let actual = sha256.finalize().hexString
            if actual != signedSHA256 {
                throw S3Error("XAmzContentSHA256Mismatch", .badRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.",
                              details: [("ClientComputedContentSHA256", signedSHA256), ("S3ComputedContentSHA256", actual)])
            }
        }
        let md5Bytes = md5?.finalize()
        if let expectedMD5, let md5Bytes, !constantTimeEquals(expectedMD5, md5Bytes) { throw S3Error.badDigest() }
        var stored: StoredChecksum?
        if let checksum {
            let actual = checksum.finalizeBase64()
            var claimed = checksumInHeader
            if checksumInTrailer {
                let name = checksum.algorithm.headerName
                guard let value = decoder?.trailers.first(where: { $0.name == name })?.value else {
                    throw S3Error.invalidRequest("x-amz-trailer header specified, but the trailer \(name) was not present")
                }
                claimed = value
            }
            if let claimed, claimed != actual {
                throw S3Error.badDigest("The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
            }
            stored = StoredChecksum(algorithm: checksum.algorithm, value: actual, kind: .fullObject)
        }
        return PayloadDigests(length: length, md5Hex: md5Bytes?.hexString, checksum: stored)
    }

    static func map(_ error: AWSChunkedError) -> S3Error {
        switch error {
        case .incompleteBody: return .incompleteBody()
        case .malformedChunk(let why): return S3Error("IncompleteBody", .badRequest, "The request body is not valid aws-chunked encoding: \(why)")
        case .chunkSignatureMismatch, .trailerSignatureMismatch:
            return S3Error("SignatureDoesNotMatch", .forbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        case .chunkTooSmall: return S3Error("InvalidChunkSizeError", .badRequest, "Only the last chunk is allowed to have a size less than 8192 bytes")
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    func strippingSpaces() -> String {
        var s = Substring(String(self))
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
