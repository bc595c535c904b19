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

/// Wraps a request body so handlers see only de-chunked bytes: decodes aws-chunked framing (checking chunk and trailer
/// signatures) and holds the body to its declared length as it streams. What the client claimed about the whole body —
/// the signed SHA-256, `Content-MD5`, an `x-amz-checksum-*` header or trailer — is checked by `verify` against the
/// digests of whoever consumed the bytes (the store's staging, or `collect`). Nothing may be committed before `verify`
/// passes.
final class PayloadReader: BodySource {
    private let stream: BodyStream
    private let decoder: AWSChunkedDecoder?
    private let signedSHA256: String?
    private let expectedMD5: [UInt8]?
    private let checksumAlgorithm: ChecksumAlgorithm?
    private let checksumInHeader: String?
    private let checksumInTrailer: Bool
    private let computeMD5: Bool
    /// Decoded length the client declared (Content-Length, or x-amz-decoded-content-length for aws-chunked).
    let declaredLength: Int64?
    /// The body comes in HTTP chunked framing (`Transfer-Encoding: chunked`).
    let isHTTPChunked: Bool
    private(set) var length: Int64 = 0
    private var ended = false

    /// - Parameters:
    ///   - computeMD5: the ETag of simple objects and parts is the body's MD5.
    ///   - defaultChecksum: the algorithm to compute when the client sends none (S3 stores CRC64NVME for every new object).
    init(request: APIRequest, auth: VerifiedRequest?, computeMD5: Bool, defaultChecksum: ChecksumAlgorithm?) throws {
        stream = request.body
        isHTTPChunked = request.header("transfer-encoding")?.lowercased().contains("chunked") == true
        self.computeMD5 = computeMD5
        let payload = auth?.payload ?? .unsigned
        decoder = auth?.makeChunkedDecoder()
        if case .signed(let hex) = payload { signedSHA256 = hex } else { signedSHA256 = nil }

        if let contentMD5 = request.header("content-md5") {
            guard let bytes = Base64.decode(contentMD5), bytes.count == 16 else { throw S3Error(.invalidDigest) }
            expectedMD5 = bytes
        } else {
            expectedMD5 = nil
        }

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
            checksumAlgorithm = algorithm
            checksumInHeader = value
            checksumInTrailer = false
        } else if let trailerAlgorithm {
            checksumAlgorithm = trailerAlgorithm
            checksumInHeader = nil
            checksumInTrailer = true
        } else {
            checksumAlgorithm = sdkAlgorithm ?? defaultChecksum
            checksumInHeader = nil
            checksumInTrailer = false
        }

        if payload.isStreaming {
            guard let decoded = request.header("x-amz-decoded-content-length") else { throw S3Error(.missingContentLength) }
            guard let n = Int64(decoded), n >= 0 else { throw S3Error.invalidArgument("Invalid x-amz-decoded-content-length", name: "x-amz-decoded-content-length", value: decoded) }
            declaredLength = n
        } else {
            declaredLength = request.header("content-length").flatMap { Int64($0) }
        }
    }

    /// The digests `verify` needs.
    var digestRequest: DigestRequest {
        DigestRequest(md5: computeMD5 || expectedMD5 != nil, sha256: signedSHA256 != nil, checksum: checksumAlgorithm)
    }

    /// The next piece of the body, or nil at the end (the aws-chunked framing, trailer included, has then been checked).
    func next() async throws -> ByteBuffer? {
        while true {
            guard var raw = try await stream.next() else {
                if !ended, let decoder {
                    do { try decoder.finish() } catch let error as AWSChunkedError { throw Self.map(error) }
                }
                ended = true
                return nil
            }
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
            length += Int64(raw.readableBytes)
            if let declaredLength, length > declaredLength { throw S3Error(.incompleteBody) }
            return raw
        }
    }

    /// Reads the whole (small, XML) body into memory, refusing anything larger than `limit`, and verifies it.
    func collect(limit: Int) async throws -> [UInt8] {
        // Refused on its declared length, before a byte of it is read (or, with `Expect: 100-continue`, sent).
        if let declaredLength, declaredLength > Int64(limit) { throw S3Error(.maxMessageLengthExceeded) }
        let digests = DigestSet(digestRequest)
        var bytes: [UInt8] = []
        while let chunk = try await next() {
            guard bytes.count + chunk.readableBytes <= limit else { throw S3Error(.maxMessageLengthExceeded) }
            chunk.withUnsafeReadableBytes { digests.update($0) }
            bytes += chunk.readableBytesView
        }
        _ = try verify(digests.finalize())
        return bytes
    }

    /// Checks what can only be checked once the whole body has gone by: its length, and every digest the client claimed.
    func verify(_ digests: BodyDigests) throws -> PayloadDigests {
        if let declaredLength, digests.length != declaredLength { throw S3Error(.incompleteBody) }
        if let signedSHA256, let actual = digests.sha256?.hexString, actual != signedSHA256 {
            throw S3Error(.xAmzContentSHA256Mismatch, details: [("ClientComputedContentSHA256", signedSHA256), ("S3ComputedContentSHA256", actual)])
        }
        if let expectedMD5, let md5 = digests.md5, !constantTimeEquals(expectedMD5, md5) { throw S3Error(.badDigest) }
        var stored: StoredChecksum?
        if let algorithm = digests.checksumAlgorithm, let raw = digests.checksum {
            let actual = Base64.encode(raw)
            var claimed = checksumInHeader
            if checksumInTrailer {
                let name = algorithm.headerName
                guard let value = decoder?.trailers.first(where: { $0.name == name })?.value else {
                    throw S3Error.invalidRequest("x-amz-trailer header specified, but the trailer \(name) was not present")
                }
                claimed = value
            }
            if let claimed, claimed != actual {
                throw S3Error(.badDigest, "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
            }
            stored = StoredChecksum(algorithm: algorithm, value: actual, kind: .fullObject)
        }
        return PayloadDigests(length: digests.length, md5Hex: digests.md5?.hexString, checksum: stored)
    }

    static func map(_ error: AWSChunkedError) -> S3Error {
        switch error {
        case .incompleteBody: return S3Error(.incompleteBody)
        case .malformedChunk(let why): return S3Error(.incompleteBody, "The request body is not valid aws-chunked encoding: \(why)")
        case .chunkSignatureMismatch, .trailerSignatureMismatch:
            return S3Error(.signatureDoesNotMatch)
        case .chunkTooSmall: return S3Error(.invalidChunkSizeError)
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
