import Foundation
import LockstepCrypto
import Testing
@testable import SigV4

/// Header-signing cases of the AWS Signature Version 4 test suite (credentials AKIDEXAMPLE, 20150830T123600Z,
/// us-east-1, service "service"), as published in awslabs/aws-c-auth tests/aws-signing-test-suite/v4: the
/// request, then the expected canonical request, string to sign and signature. Paths and queries are given as a
/// client puts them on the wire (already percent-encoded). Only the unnormalized path variants apply: like S3,
/// Lockstep signs paths without dot-segment or slash normalisation.
struct SuiteCase: CustomTestStringConvertible, Sendable {
    var name: String
    var method = "GET"
    var path = "/"
    var query = ""
    var headers: [(name: String, value: String)] = [("Host", "example.amazonaws.com")]
    var body = ""
    var canonicalRequest: String
    var stringToSign: String
    var signature: String

    var testDescription: String { name }

    var signedHeaders: [String] {
        canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last!
            .split(separator: ";").map(String.init)
    }

    var request: SignableRequest {
        SignableRequest(method: method, rawPath: path, rawQuery: query, headers: headers + [("X-Amz-Date", "20150830T123600Z")])
    }

    var payloadHash: String { Digest.sha256(bytes(body)).hexString }
}

private let host = "host:example.amazonaws.com\n"
private let date = "x-amz-date:20150830T123600Z\n"
private let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
private let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
private let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

let suiteCases: [SuiteCase] = [
    SuiteCase(name: "get-vanilla",
              canonicalRequest: "GET\n/\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
              signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    SuiteCase(name: "get-header-key-duplicate",
              headers: [("Host", "example.amazonaws.com"), ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
              canonicalRequest: "GET\n/\n\n" + host + "my-header1:value2,value2,value1\n" + date + "\nhost;my-header1;x-amz-date\n" + empty,
              stringToSign: sts + "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
              signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    SuiteCase(name: "get-header-value-order",
              headers: [("Host", "example.amazonaws.com"), ("My-Header1", "value4"), ("My-Header1", "value1"),
                        ("My-Header1", "value3"), ("My-Header1", "value2")],
              canonicalRequest: "GET\n/\n\n" + host + "my-header1:value4,value1,value3,value2\n" + date + "\nhost;my-header1;x-amz-date\n" + empty,
              stringToSign: sts + "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
              signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    SuiteCase(name: "get-header-value-trim",
              headers: [("Host", "example.amazonaws.com"), ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
              canonicalRequest: "GET\n/\n\n" + host + "my-header1:value1\nmy-header2:\"a b c\"\n" + date
                  + "\nhost;my-header1;my-header2;x-amz-date\n" + empty,
              stringToSign: sts + "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
              signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    SuiteCase(name: "get-relative-unnormalized", path: "/example/..",
              canonicalRequest: "GET\n/example/..\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b",
              signature: "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282"),
    SuiteCase(name: "get-relative-relative-unnormalized", path: "/example1/example2/../..",
              canonicalRequest: "GET\n/example1/example2/../..\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b",
              signature: "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"),
    SuiteCase(name: "get-slash-dot-slash-unnormalized", path: "/./",
              canonicalRequest: "GET\n/./\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7",
              signature: "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145"),
    SuiteCase(name: "get-slash-pointless-dot-unnormalized", path: "/./example",
              canonicalRequest: "GET\n/./example\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb",
              signature: "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff"),
    SuiteCase(name: "get-slash-unnormalized", path: "//",
              canonicalRequest: "GET\n//\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209",
              signature: "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e"),
    SuiteCase(name: "get-slashes-unnormalized", path: "//example//",
              canonicalRequest: "GET\n//example//\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240",
              signature: "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"),
    // get-space-normalized and get-space-unnormalized share these expected values.
    SuiteCase(name: "get-space", path: "/example%20space/",
              canonicalRequest: "GET\n/example%20space/\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
              signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    SuiteCase(name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
              canonicalRequest: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" + host + date
                  + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
              signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    SuiteCase(name: "get-utf8", path: "/%E1%88%B4",
              canonicalRequest: "GET\n/%E1%88%B4\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
              signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    SuiteCase(name: "get-vanilla-empty-query-key", query: "Param1=value1",
              canonicalRequest: "GET\n/\nParam1=value1\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
              signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    SuiteCase(name: "get-vanilla-query-order-encoded", query: "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
              canonicalRequest: "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
              signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
    SuiteCase(name: "get-vanilla-query-order-key-case", query: "Param2=value2&Param1=value1",
              canonicalRequest: "GET\n/\nParam1=value1&Param2=value2\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
              signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    SuiteCase(name: "get-vanilla-query-unreserved",
              query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
              canonicalRequest: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
                  + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
              signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    SuiteCase(name: "get-vanilla-utf8-query", query: "%E1%88%B4=bar",
              canonicalRequest: "GET\n/\n%E1%88%B4=bar\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
              signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    SuiteCase(name: "get-vanilla-with-session-token",
              headers: [("Host", "example.amazonaws.com"),
                        ("X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")],
              canonicalRequest: "GET\n/\n\n" + host + date
                  + "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n"
                  + "\nhost;x-amz-date;x-amz-security-token\n" + empty,
              stringToSign: sts + "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
              signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    SuiteCase(name: "post-vanilla", method: "POST",
              canonicalRequest: "POST\n/\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
              signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    SuiteCase(name: "post-header-key-sort", method: "POST",
              headers: [("Host", "example.amazonaws.com"), ("My-Header1", "value1")],
              canonicalRequest: "POST\n/\n\n" + host + "my-header1:value1\n" + date + "\nhost;my-header1;x-amz-date\n" + empty,
              stringToSign: sts + "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
              signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    SuiteCase(name: "post-header-value-case", method: "POST",
              headers: [("Host", "example.amazonaws.com"), ("My-Header1", "VALUE1")],
              canonicalRequest: "POST\n/\n\n" + host + "my-header1:VALUE1\n" + date + "\nhost;my-header1;x-amz-date\n" + empty,
              stringToSign: sts + "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
              signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    // The session token is present but was added after signing, so it is not a signed header.
    SuiteCase(name: "post-sts-header-after", method: "POST",
              headers: [("Host", "example.amazonaws.com"), ("X-Amz-Security-Token", token)],
              canonicalRequest: "POST\n/\n\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
              signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    SuiteCase(name: "post-sts-header-before", method: "POST",
              headers: [("Host", "example.amazonaws.com"), ("X-Amz-Security-Token", token)],
              canonicalRequest: "POST\n/\n\n" + host + date + "x-amz-security-token:" + token + "\n"
                  + "\nhost;x-amz-date;x-amz-security-token\n" + empty,
              stringToSign: sts + "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
              signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    SuiteCase(name: "post-vanilla-query", method: "POST", query: "Param1=value1",
              canonicalRequest: "POST\n/\nParam1=value1\n" + host + date + "\nhost;x-amz-date\n" + empty,
              stringToSign: sts + "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
              signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    SuiteCase(name: "post-x-www-form-urlencoded", method: "POST",
              headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"),
                        ("Content-Length", "13"),
                        ("X-Amz-Content-Sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")],
              body: "Param1=value1",
              canonicalRequest: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n" + host
                  + "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n" + date
                  + "\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
                  + "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
              stringToSign: sts + "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
              signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"),
    SuiteCase(name: "post-x-www-form-urlencoded-parameters", method: "POST",
              headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "example.amazonaws.com"),
                        ("Content-Length", "13"),
                        ("X-Amz-Content-Sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")],
              body: "Param1=value1",
              canonicalRequest: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n" + host
                  + "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n" + date
                  + "\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
                  + "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
              stringToSign: sts + "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
              signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"),
]

private let suiteSigner = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      region: "us-east-1", service: "service")

@Suite("AWS SigV4 test suite")
struct AWSTestSuiteTests {
    @Test(arguments: suiteCases)
    func signerMatchesPublishedValues(_ c: SuiteCase) {
        let signed = suiteSigner.sign(c.request, date: suiteTime, payloadHash: c.payloadHash, signedHeaders: c.signedHeaders)
        #expect(signed.canonicalRequest == c.canonicalRequest)
        #expect(signed.stringToSign == c.stringToSign)
        #expect(signed.signature == c.signature)
        #expect(signed.request.header("Authorization") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=" + c.signedHeaders.joined(separator: ";") + ", Signature=" + c.signature)
    }

    @Test(arguments: suiteCases)
    func verifierAcceptsPublishedSignature(_ c: SuiteCase) throws {
        var request = c.request
        request.headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=" + c.signedHeaders.joined(separator: ";") + ", Signature=" + c.signature))
        let verifier = SigV4Verifier(credentials: suiteCredentials)
        let verified = try verifier.verify(request, service: "service", now: suiteTime, bodySHA256Hex: c.payloadHash)
        #expect(verified.accessKey == "AKIDEXAMPLE")
        #expect(verified.service == "service")
        #expect(verified.region == "us-east-1")
        #expect(verified.scope == "20150830/us-east-1/service/aws4_request")
        #expect(verified.seedSignature == c.signature)
        #expect(verified.payload == .signed(sha256Hex: c.payloadHash))
        #expect(verified.signatureChecked)
        #expect(!verified.isPresigned)
        #expect(verified.requestDate == suiteTime)

        // Any change to a signed part is caught, and the error carries the published canonical request.
        request.method = c.method == "GET" ? "HEAD" : "PUT"
        let error = verifyError(verifier, request, service: "service", now: suiteTime, bodySHA256Hex: c.payloadHash)
        let expectedCanonical = request.method + c.canonicalRequest.drop { $0 != "\n" }
        guard case .signatureDoesNotMatch(let stringToSign, let canonicalRequest) = error else {
            Issue.record("expected signatureDoesNotMatch, got \(String(describing: error))")
            return
        }
        #expect(canonicalRequest == expectedCanonical)
        #expect(stringToSign.hasPrefix(sts))
    }

    /// The classic suite's form posts sign no x-amz-content-sha256: the payload hash comes from the body, which the
    /// caller hashes (signatures from aws-sdk-js and botocore's copies of the suite).
    @Test(arguments: [
        ("application/x-www-form-urlencoded", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        ("application/x-www-form-urlencoded; charset=utf8", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ])
    func formPostHashesTheBody(contentType: String, signature: String) throws {
        let request = SignableRequest(method: "POST", rawPath: "/", rawQuery: "", headers: [
            ("Content-Type", contentType), ("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, Signature=" + signature),
        ])
        let bodyHash = Digest.sha256(bytes("Param1=value1")).hexString
        let verifier = SigV4Verifier(credentials: suiteCredentials)
        let verified = try verifier.verify(request, service: "service", now: suiteTime, bodySHA256Hex: bodyHash)
        #expect(verified.payload == .signed(sha256Hex: bodyHash))
        // Without the body hash an empty body is assumed, which this request does not have.
        if case .signatureDoesNotMatch = verifyError(verifier, request, service: "service", now: suiteTime) {} else {
            Issue.record("an empty-body hash must not verify")
        }
    }

    /// Presigned variants from the same suite (query-signed-request.txt): host-only and with extra signed headers.
    @Test(arguments: [
        ("Param2=value2&Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
            + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
            + "&X-Amz-Signature=86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5", false),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
            + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bmy-header1%3Bmy-header2&X-Amz-Expires=3600"
            + "&X-Amz-Signature=e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4", true),
    ])
    func presignedSuiteCases(query: String, withHeaders: Bool) throws {
        var headers: [(name: String, value: String)] = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
        if withHeaders { headers += [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")] }
        let request = SignableRequest(method: "GET", rawPath: "/", rawQuery: query, headers: headers)
        let verified = try SigV4Verifier(credentials: suiteCredentials).verify(request, service: "service", now: suiteTime.addingTimeInterval(3600))
        #expect(verified.isPresigned)
        #expect(verified.signatureChecked)
        #expect(verified.payload == .signed(sha256Hex: emptySHA256Hex))
        #expect(verified.signedHeaders == (withHeaders ? ["host", "my-header1", "my-header2"] : ["host"]))
    }
}
