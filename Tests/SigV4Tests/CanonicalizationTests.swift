import Foundation
import LockstepCrypto
import LockstepTestSupport
@testable import SigV4
import Testing

@Suite("Canonicalization")
struct CanonicalizationTests {
    @Test func uriEncoding() {
        #expect(sigV4URIEncode("dir/a b+c~é", encodeSlash: false) == "dir/a%20b%2Bc~%C3%A9")
        #expect(sigV4URIEncode("dir/a b+c~é", encodeSlash: true) == "dir%2Fa%20b%2Bc~%C3%A9")
        #expect(sigV4URIEncode("-._~AZaz09", encodeSlash: true) == "-._~AZaz09")
        #expect(sigV4URIEncode("!*'();:@&=$,?#[]%", encodeSlash: true) == "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%3F%23%5B%5D%25")
        #expect(sigV4URIEncode("", encodeSlash: false) == "")
    }

    @Test func canonicalQuery() {
        #expect(canonicalQueryString(rawQuery: "") == "")
        #expect(canonicalQueryString(rawQuery: "versions&prefix=a%20b%2Fc&max-keys=1000") == "max-keys=1000&prefix=a%20b%2Fc&versions=")
        // '+' is a literal plus, never a space.
        #expect(canonicalQueryString(rawQuery: "a=b+c") == "a=b%2Bc")
        #expect(canonicalQueryString(rawQuery: "a=%2f%e1%88%b4") == "a=%2F%E1%88%B4")
        #expect(canonicalQueryString(rawQuery: "a=b*c/d") == "a=b%2Ac%2Fd")
        #expect(canonicalQueryString(rawQuery: "b=2&a=2&a=1&a") == "a=&a=1&a=2&b=2")
        #expect(canonicalQueryString(rawQuery: "&&a=1&") == "a=1")
        #expect(canonicalQueryString(rawQuery: "=x") == "=x")
        #expect(canonicalQueryString(rawQuery: "a=%zz&b=%4") == "a=%25zz&b=%254")
        #expect(canonicalQueryString(rawQuery: "a=b=c") == "a=b%3Dc")
        // Sorting is by encoded name bytes: upper case before lower case, "Param" before "Param-3".
        #expect(canonicalQueryString(rawQuery: "b=1&B=1&Param-3=1&Param=1") == "B=1&Param=1&Param-3=1&b=1")
        #expect(canonicalQueryString(parseRawQuery("X-Amz-Signature=abc&x=1"), excluding: "X-Amz-Signature") == "x=1")
    }

    @Test func canonicalURIForms() {
        #expect(canonicalURICandidates(rawPath: "/bucket/a%20b//c") == ["/bucket/a%20b//c"])
        #expect(canonicalURICandidates(rawPath: "") == ["/"])
        #expect(canonicalURICandidates(rawPath: "/b/./../k") == ["/b/./../k"])
        // Escapes are normalised to upper case; characters a client left unescaped are escaped.
        #expect(canonicalURICandidates(rawPath: "/b/%e1%88%b4") == ["/b/%E1%88%B4", "/b/%e1%88%b4"])
        #expect(canonicalURICandidates(rawPath: "/b/a b") == ["/b/a%20b", "/b/a b"])
        #expect(canonicalURICandidates(rawPath: "/b/a+b$") == ["/b/a%2Bb%24", "/b/a+b$"])
        #expect(canonicalURICandidates(rawPath: "/b/%7Ex") == ["/b/~x", "/b/%7Ex"])
        // An escaped slash stays escaped first, then is tried decoded.
        #expect(canonicalURICandidates(rawPath: "/b/a%2Fb") == ["/b/a%2Fb", "/b/a/b"])
    }

    @Test func headerValues() {
        #expect(canonicalHeaderValue("  a   b\t c  ") == "a b c")
        #expect(canonicalHeaderValue("") == "")
        #expect(canonicalHeaderValue("   ") == "")
        #expect(canonicalHeaders([("Host", "h"), ("X-A", " 1 "), ("x-a", "2")], signedHeaders: ["host", "x-a", "x-missing"])
            == "host:h\nx-a:1,2\nx-missing:\n")
    }

    /// "Derive a signing key" example of the AWS General Reference (secret of the test suite, 20150830, IAM).
    @Test func signingKeyDerivation() {
        #expect(signingKey(secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20150830", region: "us-east-1",
                           service: "iam").hexString == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    }

    @Test func payloadModes() {
        #expect(PayloadMode(contentSHA256: "UNSIGNED-PAYLOAD") == .unsigned)
        #expect(PayloadMode(contentSHA256: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == .streamingSigned)
        #expect(PayloadMode(contentSHA256: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == .streamingSignedTrailer)
        #expect(PayloadMode(contentSHA256: "STREAMING-UNSIGNED-PAYLOAD-TRAILER") == .streamingUnsignedTrailer)
        #expect(PayloadMode(contentSHA256: emptySHA256Hex) == .signed(sha256Hex: emptySHA256Hex))
        #expect(PayloadMode(contentSHA256: emptySHA256Hex.uppercased()) == .signed(sha256Hex: emptySHA256Hex))
        #expect(PayloadMode(contentSHA256: String(emptySHA256Hex.dropLast())) == nil)
        #expect(PayloadMode(contentSHA256: String(emptySHA256Hex.dropLast()) + "g") == nil)
        #expect(PayloadMode(contentSHA256: "unsigned-payload") == nil)
        #expect(PayloadMode(contentSHA256: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") == nil)
        #expect(PayloadMode(contentSHA256: "") == nil)
    }

    @Test func dates() {
        #expect(AmzDate.parseBasic("20130524T000000Z") == 1_369_353_600)
        #expect(AmzDate.parseBasic("20150830T123600Z") == 1_440_938_160)
        #expect(AmzDate.parseBasic("20240229T235959Z") == 1_709_251_199)
        #expect(AmzDate.parseBasic("19700101T000000Z") == 0)
        for bad in ["20230229T000000Z", "20130524T240000Z", "20130524T000000", "2013-05-24T00:00:00Z", "20130524t000000Z",
                    "201305240000000Z", "2013052AT000000Z", "20131324T000000Z", "20130500T000000Z", ""] {
            #expect(AmzDate.parseBasic(bad) == nil, "\(bad)")
        }
        #expect(AmzDate.parseHTTP("Fri, 24 May 2013 00:00:00 GMT") == 1_369_353_600)
        #expect(AmzDate.parseHTTP("Sun, 30 Aug 2015 12:36:00 GMT") == 1_440_938_160)
        for bad in ["Fri, 24 May 2013 00:00:00", "Fri, 24 Mai 2013 00:00:00 GMT", "24 May 2013 00:00:00 GMT",
                    "Fri, 24 May 2013 0:00:00 GMT", "Fri, 31 Jun 2013 00:00:00 GMT"] {
            #expect(AmzDate.parseHTTP(bad) == nil, "\(bad)")
        }
        #expect(AmzDate.formatBasic(1_709_251_199) == "20240229T235959Z")
        #expect(AmzDate.formatISO8601(1_369_353_600) == "2013-05-24T00:00:00Z")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let t = Int64.random(in: 0...4_102_444_800, using: &rng)
            #expect(AmzDate.parseBasic(AmzDate.formatBasic(t)) == t)
        }
    }
}
