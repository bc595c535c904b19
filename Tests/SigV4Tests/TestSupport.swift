import Foundation
import LockstepCrypto
@testable import SigV4

/// 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
let suiteTime = Date(timeIntervalSince1970: 1_440_938_160)
/// 2013-05-24T00:00:00Z, the time of the S3 documentation examples.
let s3DocTime = Date(timeIntervalSince1970: 1_369_353_600)

let suiteCredentials = StaticCredentialProvider(["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"])
let s3DocCredentials = StaticCredentialProvider(["AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Runs `verify` and returns the error it threw, or nil.
func verifyError(_ verifier: SigV4Verifier, _ request: SignableRequest, service: String = "s3", now: Date,
                 bodySHA256Hex: String? = nil) -> SigV4Error? {
    do {
        _ = try verifier.verify(request, service: service, now: now, bodySHA256Hex: bodySHA256Hex)
        return nil
    } catch {
        return error
    }
}

/// Feeds `body` to `decoder` in pieces of the given sizes (cycled), then finishes; returns the decoded bytes.
func decode(_ body: [UInt8], with decoder: AWSChunkedDecoder, pieces: [Int] = [Int.max]) throws -> [UInt8] {
    var out = [UInt8]()
    var offset = 0
    var k = 0
    while offset < body.count {
        let size = min(max(pieces[k % pieces.count], 1), body.count - offset)
        k += 1
        try body[offset..<(offset + size)].withUnsafeBytes { piece in
            try decoder.feed(piece) { out.append(contentsOf: $0) }
        }
        offset += size
    }
    try decoder.finish()
    return out
}

/// Returns the AWSChunkedError thrown while decoding, or nil.
func decodeError(_ body: [UInt8], with decoder: AWSChunkedDecoder, pieces: [Int] = [Int.max]) -> AWSChunkedError? {
    do {
        _ = try decode(body, with: decoder, pieces: pieces)
        return nil
    } catch let error as AWSChunkedError {
        return error
    } catch {
        return .malformedChunk("unexpected error \(error)")
    }
}
