import Foundation
import LockstepCrypto
@testable import SigV4
import Testing

/// Signature Version 2 against the worked examples of the S3 developer guide ("Signing and authenticating REST
/// requests", bucket johnsmith, secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), header and query forms. The strings
/// to sign are the guide's; every signature was also computed independently with Python's hmac module.
@Suite("Signature V2")
struct SignatureV2Tests {
    let verifier = SigV4Verifier(credentials: StaticCredentialProvider(["AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]))
    let march27 = Date(timeIntervalSince1970: 1_175_024_202)  // Tue, 27 Mar 2007 19:36:42 +0000
    let johnsmith = SignatureV2Context(virtualHostBucket: "johnsmith")

    func request(_ method: String, _ path: String, query: String = "", _ headers: [(String, String)]) -> SignableRequest {
        SignableRequest(method: method, rawPath: path, rawQuery: query, headers: [("Host", "johnsmith.s3.amazonaws.com")] + headers)
    }

    struct Example: Sendable, CustomStringConvertible {
        let name: String
        let method: String
        let path: String
        let query: String
        let headers: [(String, String)]
        let stringToSign: String
        let signature: String
        var description: String { name }
    }

    static let examples: [Example] = [
        Example(name: "object GET", method: "GET", path: "/photos/puppy.jpg", query: "", headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg", signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
        Example(name: "object PUT", method: "PUT", path: "/photos/puppy.jpg", query: "",
                headers: [("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Date", "Tue, 27 Mar 2007 21:15:45 +0000")],
                stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg", signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg="),
        Example(name: "list", method: "GET", path: "/", query: "prefix=photos&max-keys=50&marker=puppy",
                headers: [("User-Agent", "Mozilla/5.0"), ("Date", "Tue, 27 Mar 2007 19:42:41 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/", signature: "htDYFYduRNen8P9ZfE/s9SuKy0U="),
        Example(name: "fetch acl", method: "GET", path: "/", query: "acl", headers: [("Date", "Tue, 27 Mar 2007 19:44:46 +0000")],
                stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl", signature: "c2WLPFtWHVgbEmeEG93a4cG37dM="),
        Example(name: "delete with x-amz-date", method: "DELETE", path: "/johnsmith/photos/puppy.jpg", query: "",
                headers: [("User-Agent", "dotnet"), ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"), ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000")],
                stringToSign: "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
                signature: "R4dJ53KECjStyBO5iTBJZ4XVOaI="),
    ]

    @Test(arguments: examples)
    func publishedExamples(_ example: Example) throws {
        // The delete example is path-style (Host s3.amazonaws.com); the others name the bucket in the host.
        let context = example.path.hasPrefix("/johnsmith/") ? SignatureV2Context(virtualHostBucket: nil) : johnsmith
        let signable = request(example.method, example.path, query: example.query,
                               example.headers + [("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(example.signature)")])
        #expect(SigV4Verifier.v2StringToSign(signable, dateLine: signable.header("x-amz-date") == nil ? signable.header("date") ?? "" : "",
                                             query: parseRawQuery(example.query), context: context) == example.stringToSign)
        // Verified at the request's own time (within the 15 minutes a V2 signature's date may differ by).
        let sent = AmzDate.parseHTTP(signable.header("x-amz-date") ?? signable.header("date")!)!
        let verified = try verifier.verify(signable, service: "s3", now: Date(timeIntervalSince1970: Double(sent + 60)), signatureV2: context)
        #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.signatureChecked)
        #expect(verified.payload == .unsigned)
    }

    @Test func amzHeadersAreLowerCasedSortedAndCombined() throws {
        let signable = SignableRequest(method: "PUT", rawPath: "/db-backup.dat.gz", rawQuery: "", headers: [
            ("Host", "static.johnsmith.net:8080"), ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"), ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("Content-Disposition", "attachment; filename=database.dat"), ("Content-Encoding", "gzip"),
        ])
        let expected = "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\n"
            + "x-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
            + "/static.johnsmith.net/db-backup.dat.gz"
        let toSign = SigV4Verifier.v2StringToSign(signable, dateLine: "Tue, 27 Mar 2007 21:06:08 +0000", query: [],
                                                  context: SignatureV2Context(virtualHostBucket: "static.johnsmith.net"))
        #expect(toSign == expected)
        #expect(Base64.encode(HMAC.sha1(key: Array("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".utf8), Array(toSign.utf8))) == "ilyl83RwaSoYIEdixDQcA4OnAnc=")
    }

    /// Clients sign a path-style bucket request (`GET /johnsmith?prefix=…`) with the bucket's resource `/johnsmith/`.
    @Test func aPathStyleBucketIsSignedWithItsTrailingSlash() throws {
        let toSign = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/"
        let signature = Base64.encode(HMAC.sha1(key: Array("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".utf8), Array(toSign.utf8)))
        let signable = SignableRequest(method: "GET", rawPath: "/johnsmith", rawQuery: "prefix=photos", headers: [
            ("Host", "s3.amazonaws.com"), ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(signature)"),
        ])
        let verified = try verifier.verify(signable, service: "s3", now: march27, signatureV2: SignatureV2Context(virtualHostBucket: nil))
        #expect(verified.signatureChecked)
    }

    @Test func queryStringAuthenticationAndItsExpiry() throws {
        let query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        let signable = request("GET", "/photos/puppy.jpg", query: query, [])
        #expect(SigV4Verifier.v2StringToSign(signable, dateLine: "1175139620", query: parseRawQuery(query), context: johnsmith)
                == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg")
        let verified = try verifier.verify(signable, service: "s3", now: march27, signatureV2: johnsmith)
        #expect(verified.isPresigned)
        #expect(throws: SigV4Error.self) {
            try verifier.verify(signable, service: "s3", now: Date(timeIntervalSince1970: 1_175_139_621), signatureV2: johnsmith)
        }
    }

    @Test func refusals() throws {
        let wrong = request("GET", "/photos/puppy.jpg", [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
                                                         ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:AAAAAAAAAAAAAAAAAAAAAAAAAAA=")])
        #expect {
            try verifier.verify(wrong, service: "s3", now: march27, signatureV2: johnsmith)
        } throws: { error in
            guard case SigV4Error.signatureDoesNotMatch(let toSign, _) = error else { return false }
            return toSign == "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
        }
        let unknown = request("GET", "/photos/puppy.jpg", [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", "AWS NOBODY:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")])
        #expect(throws: SigV4Error.invalidAccessKeyId) { try verifier.verify(unknown, service: "s3", now: march27, signatureV2: johnsmith) }
        let skewed = request("GET", "/photos/puppy.jpg", [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")])
        #expect(throws: SigV4Error.self) { try verifier.verify(skewed, service: "s3", now: march27.addingTimeInterval(86_400), signatureV2: johnsmith) }
        // Other services than S3 never take Signature Version 2.
        #expect(throws: SigV4Error.unsupportedAlgorithm("AWS")) { try verifier.verify(skewed, service: "kms", now: march27) }
        let malformed = request("GET", "/", [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", "AWS no-colon")])
        #expect(throws: SigV4Error.self) { try verifier.verify(malformed, service: "s3", now: march27, signatureV2: johnsmith) }
    }
}
