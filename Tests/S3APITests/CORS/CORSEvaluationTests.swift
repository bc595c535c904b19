import LockstepXML
import Testing
@testable import S3API

/// Matching requests against the rules, and the headers and refusals S3 answers with. The expected headers are those
/// S3 sent in LocalStack's recordings against it (tests/aws/services/s3/test_s3_cors.py), unless a test says otherwise.
@Suite("CORS evaluation")
struct CORSEvaluationTests {
    static func lines(_ headers: [(String, String)]) -> [String] { headers.map { "\($0.0): \($0.1)" } }

    static func preflightHeaders(_ configuration: CORSConfiguration, origin: String, method: String,
                                 requestHeaders: String? = nil) -> [String]? {
        let requested = CORSConfiguration.requestedHeaders(requestHeaders)
        return configuration.preflight(origin: origin, method: method, requestHeaders: requested).map { lines($0.headers) }
    }

    static func single(_ rule: CORSRule) -> CORSConfiguration { CORSConfiguration(rules: [rule]) }

    static let localhost = single(CORSRule(allowedOrigins: ["https://localhost:4200"], allowedMethods: ["GET", "PUT"],
                                           allowedHeaders: ["*"], maxAgeSeconds: 3000))

    // MARK: Preflight answers

    @Test func anEchoedOriginAllowsCredentials() {
        #expect(Self.preflightHeaders(Self.localhost, origin: "https://localhost:4200", method: "PUT") == [
            "Access-Control-Allow-Origin: https://localhost:4200",
            "Access-Control-Allow-Methods: GET, PUT",
            "Access-Control-Max-Age: 3000",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
    }

    @Test func theBareWildcardOriginIsAnsweredWithAStarAndNoCredentials() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET", "PUT"], allowedHeaders: ["*"],
                                                 maxAgeSeconds: 3000))
        #expect(Self.preflightHeaders(configuration, origin: "http://random:1234", method: "PUT") == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET, PUT",
            "Access-Control-Max-Age: 3000",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
    }

    @Test func aRuleWithOnlyOriginsAndMethodsAnswersThreeHeaders() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"]))
        #expect(Self.preflightHeaders(configuration, origin: "localhost:4566", method: "GET") == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        // Without AllowedHeader no requested header is allowed.
        #expect(Self.preflightHeaders(configuration, origin: "localhost:4566", method: "GET",
                                      requestHeaders: "x-amz-request-payer") == nil)
    }

    @Test func exposedHeadersAreJoinedInTheRulesOrder() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"],
                                                 exposeHeaders: ["x-amz-id-2", "x-amz-request-id", "x-amz-request-payer"]))
        #expect(Self.preflightHeaders(configuration, origin: "localhost:4566", method: "GET") == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET",
            "Access-Control-Expose-Headers: x-amz-id-2, x-amz-request-id, x-amz-request-payer",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
    }

    /// Requested names are echoed in the order asked, lowercased, joined with ", " however they were separated.
    @Test func requestedHeadersAreEchoedLowercased() {
        let configuration = Self.single(CORSRule(
            allowedOrigins: ["https://localhost:4200"], allowedMethods: ["GET"],
            allowedHeaders: ["x-amz-expected-bucket-owner", "x-amz-server-side-encryption-customer-algorithm",
                             "x-AMZ-server-SIDE-encryption"],
            maxAgeSeconds: 3000))
        let expected = [
            "Access-Control-Allow-Origin: https://localhost:4200",
            "Access-Control-Allow-Methods: GET",
            "Access-Control-Allow-Headers: x-amz-expected-bucket-owner, x-amz-server-side-encryption",
            "Access-Control-Max-Age: 3000",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ]
        #expect(Self.preflightHeaders(configuration, origin: "https://localhost:4200", method: "GET",
                                      requestHeaders: "x-AMZ-expected-BUCKET-owner, x-amz-server-side-encryption") == expected)
        #expect(Self.preflightHeaders(configuration, origin: "https://localhost:4200", method: "GET",
                                      requestHeaders: "x-AMZ-expected-BUCKET-owner,x-amz-server-side-encryption") == expected)
        #expect(Self.preflightHeaders(configuration, origin: "https://localhost:4200", method: "GET",
                                      requestHeaders: "x-amz-request-payer") == nil)
    }

    /// The user guide's "Testing CORS" sample, in the header order it prints (its `Authorization` echoed lowercased,
    /// as S3 answered LocalStack).
    @Test func theUserGuidesSample() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["http://www.example1.com"],
                                                 allowedMethods: ["GET", "PUT", "POST", "DELETE"],
                                                 allowedHeaders: ["Authorization"], exposeHeaders: ["x-amz-meta-custom-header"]))
        #expect(Self.preflightHeaders(configuration, origin: "http://www.example1.com", method: "PUT",
                                      requestHeaders: "Authorization") == [
            "Access-Control-Allow-Origin: http://www.example1.com",
            "Access-Control-Allow-Methods: GET, PUT, POST, DELETE",
            "Access-Control-Allow-Headers: authorization",
            "Access-Control-Expose-Headers: x-amz-meta-custom-header",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
    }

    @Test func aZeroAgeIsStillSent() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"], maxAgeSeconds: 0))
        #expect(Self.preflightHeaders(configuration, origin: "a", method: "GET")?.contains("Access-Control-Max-Age: 0") == true)
    }

    // MARK: Origins

    @Test(arguments: [
        ("https://localhost:4200", true),
        ("http://localhost:4200", false),   // another scheme
        ("https://localhost:4201", false),  // another port
        ("https://localhost", false),
        ("https://localhost:4200/", false), // a serialized origin has no path
        ("HTTPS://LOCALHOST:4200", false),  // compared byte for byte
        ("", false),
    ])
    func anExactOriginMatchesOnlyItself(_ origin: String, _ matches: Bool) {
        #expect((Self.localhost.preflight(origin: origin, method: "GET", requestHeaders: []) != nil) == matches)
    }

    @Test(arguments: [
        ("http://test.origin.com", true),
        ("http://a.b.origin.com", true),     // the wildcard spans dots
        ("http://.origin.com", true),        // and may stand for nothing
        ("http://origin.com", false),
        ("http://test.origin.com/", false),  // anchored at the end: S3 refused this one
        ("https://test.origin.com", false),
        ("http://test.origin.com:8080", false),
        ("http://test.ORIGIN.com", false),
    ])
    func aWildcardOriginMatchesAroundItsStar(_ origin: String, _ matches: Bool) {
        let configuration = Self.single(CORSRule(allowedOrigins: ["http://*.origin.com"], allowedMethods: ["GET", "PUT"],
                                                 allowedHeaders: ["*"], maxAgeSeconds: 3000))
        let result = configuration.preflight(origin: origin, method: "GET", requestHeaders: [])
        #expect((result != nil) == matches)
        if let result { #expect(result.allowOrigin == origin && result.allowCredentials) }
    }

    /// ceph s3-tests' `test_cors_origin_response`: the star may lead, sit inside or trail, and matches nothing too.
    @Test(arguments: [
        ("foo.suffix", true), ("startend", true), ("start1end", true), ("start12end", true), ("prefix", true),
        ("prefix.suffix", true), ("foo.bar", false), ("foo.suffix.get", false), ("0start12end", false), ("bla.prefix", false),
    ])
    func s3TestsOrigins(_ origin: String, _ matches: Bool) {
        let configuration = CORSConfiguration(rules: [
            CORSRule(allowedOrigins: ["*suffix"], allowedMethods: ["GET"]),
            CORSRule(allowedOrigins: ["start*end"], allowedMethods: ["GET"]),
            CORSRule(allowedOrigins: ["prefix*"], allowedMethods: ["GET"]),
            CORSRule(allowedOrigins: ["*.put"], allowedMethods: ["PUT"]),
        ])
        #expect((configuration.preflight(origin: origin, method: "GET", requestHeaders: []) != nil) == matches)
    }

    /// What precedes and follows the star must both be there, side by side, not sharing characters.
    @Test func theStarNeverOverlapsWhatSurroundsIt() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["ab*ba"], allowedMethods: ["GET"]))
        #expect(configuration.preflight(origin: "aba", method: "GET", requestHeaders: []) == nil)
        #expect(configuration.preflight(origin: "abba", method: "GET", requestHeaders: []) != nil)
    }

    @Test func theOriginThatAdmitsDecidesWhetherAStarIsAnswered() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["https://app.example", "*"], allowedMethods: ["GET"]))
        #expect(configuration.preflight(origin: "https://app.example", method: "GET", requestHeaders: [])?.allowOrigin == "https://app.example")
        #expect(configuration.preflight(origin: "https://other.example", method: "GET", requestHeaders: [])?.allowOrigin == "*")
    }

    @Test func anEmptyAllowedOriginAdmitsOnlyAnEmptyOrigin() {
        let configuration = Self.single(CORSRule(allowedOrigins: [""], allowedMethods: ["GET"]))
        #expect(configuration.preflight(origin: "", method: "GET", requestHeaders: []) != nil)
        #expect(configuration.preflight(origin: "https://a.example", method: "GET", requestHeaders: []) == nil)
    }

    // MARK: Methods

    @Test func onlyTheRulesMethodsAreAllowed() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["https://localhost:4200"], allowedMethods: ["GET"],
                                                 allowedHeaders: ["*"], maxAgeSeconds: 3000))
        #expect(Self.preflightHeaders(configuration, origin: "https://localhost:4200", method: "GET")?.first
            == "Access-Control-Allow-Origin: https://localhost:4200")
        for method in ["PUT", "HEAD", "POST", "DELETE", "get", "OPTIONS"] {
            #expect(configuration.preflight(origin: "https://localhost:4200", method: method, requestHeaders: []) == nil, "\(method)")
        }
    }

    // MARK: Headers

    @Test(arguments: [
        ("x-amz-date", true), ("X-Amz-Date", true), ("x-amz-", true), ("content-length", true), ("Content-Type", true),
        ("date", false), ("x-amzdate", false), ("authorization", false),
    ])
    func headerPatternsMatchWithoutRegardToCase(_ header: String, _ allowed: Bool) {
        let configuration = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["DELETE"],
                                                 allowedHeaders: ["x-amz-*", "CONTENT-*"]))
        #expect((configuration.preflight(origin: "o", method: "DELETE", requestHeaders: [header]) != nil) == allowed)
    }

    @Test func everyRequestedHeaderMustBeAllowed() {
        let configuration = Self.single(CORSRule(allowedOrigins: ["http://www.corstest*.com"], allowedMethods: ["DELETE"],
                                                 allowedHeaders: ["x-amz-*", "Content-*"]))
        #expect(Self.preflightHeaders(configuration, origin: "http://www.corstest1.company.com", method: "DELETE",
                                      requestHeaders: "x-amz-date,Content-Length")?
            .contains("Access-Control-Allow-Headers: x-amz-date, content-length") == true)
        #expect(Self.preflightHeaders(configuration, origin: "http://www.corstest1.company.com", method: "DELETE",
                                      requestHeaders: "x-amz-date,Date") == nil)
    }

    @Test func aStarAllowsEveryHeader() {
        #expect(Self.preflightHeaders(Self.localhost, origin: "https://localhost:4200", method: "GET",
                                      requestHeaders: "x-amz-request-payer, x-amz-expected-bucket-owner")?
            .contains("Access-Control-Allow-Headers: x-amz-request-payer, x-amz-expected-bucket-owner") == true)
    }

    @Test func requestedHeadersAreAListOfNames() {
        #expect(CORSConfiguration.requestedHeaders(nil) == [])
        #expect(CORSConfiguration.requestedHeaders("") == [])
        #expect(CORSConfiguration.requestedHeaders("a") == ["a"])
        #expect(CORSConfiguration.requestedHeaders("a,b") == ["a", "b"])
        #expect(CORSConfiguration.requestedHeaders(" a ,\t, B ,") == ["a", "B"])
    }

    // MARK: First match

    @Test func theFirstMatchingRuleAnswers() {
        let configuration = CORSConfiguration(rules: [
            CORSRule(id: "writes", allowedOrigins: ["http://www.example1.com"], allowedMethods: ["PUT", "POST", "DELETE"],
                     allowedHeaders: ["*"]),
            CORSRule(id: "reads", allowedOrigins: ["http://www.example2.com"], allowedMethods: ["GET"]),
            CORSRule(id: "head", allowedOrigins: ["*"], allowedMethods: ["HEAD"]),
            CORSRule(id: "any", allowedOrigins: ["http://www.corstest*.com", "http://*.sample.com"],
                     allowedMethods: ["GET", "HEAD", "PUT", "POST", "DELETE"], allowedHeaders: ["x-amz-*", "Content-*"],
                     exposeHeaders: ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"], maxAgeSeconds: 3000),
            CORSRule(id: "late", allowedOrigins: ["*"], allowedMethods: ["GET", "POST"], maxAgeSeconds: 1),
        ])
        // The first rule admits the origin but not the method: the next rule that matches all three answers.
        #expect(Self.preflightHeaders(configuration, origin: "http://www.example1.com", method: "POST") == [
            "Access-Control-Allow-Origin: http://www.example1.com",
            "Access-Control-Allow-Methods: PUT, POST, DELETE",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        #expect(Self.preflightHeaders(configuration, origin: "http://www.example1.com", method: "GET") == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET, POST",
            "Access-Control-Max-Age: 1",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        #expect(Self.preflightHeaders(configuration, origin: "http://www.mycorssite1.com", method: "HEAD") == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: HEAD",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        #expect(Self.preflightHeaders(configuration, origin: "http://this.sample.com", method: "DELETE") == [
            "Access-Control-Allow-Origin: http://this.sample.com",
            "Access-Control-Allow-Methods: GET, HEAD, PUT, POST, DELETE",
            "Access-Control-Expose-Headers: x-amz-server-side-encryption, x-amz-request-id, x-amz-id-2",
            "Access-Control-Max-Age: 3000",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        // "any" does not admit a port its pattern lacks, and "late" does not allow DELETE.
        #expect(Self.preflightHeaders(configuration, origin: "http://this.sample.com:80", method: "DELETE") == nil)
        // "late" admits the origin and allows POST, but no requested header.
        #expect(Self.preflightHeaders(configuration, origin: "http://www.example2.com", method: "POST",
                                      requestHeaders: "x-amz-date") == nil)
    }

    // MARK: Refusals

    static let notAllowedMessage = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
        + "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by "
        + "the resource's CORS spec."

    static func answer(_ configuration: CORSConfiguration?, bucketExists: Bool = true, origin: String?, method: String?,
                       headers: String? = nil, resourceType: CORSPreflightRefusal.ResourceType = .object)
        -> Result<CORSResult, CORSPreflightRefusal> {
        CORSConfiguration.answerPreflight(configuration: configuration, bucketExists: bucketExists, origin: origin,
                                          requestMethod: method, requestHeaders: CORSConfiguration.requestedHeaders(headers),
                                          resourceType: resourceType)
    }

    static func refusal(_ answer: Result<CORSResult, CORSPreflightRefusal>) -> CORSPreflightRefusal? {
        if case .failure(let refusal) = answer { return refusal }
        return nil
    }

    @Test func aPreflightWithoutOriginIsABadRequest() {
        for configuration in [nil, Self.localhost] {
            let refusal = Self.refusal(Self.answer(configuration, origin: nil, method: "GET"))
            #expect(refusal == CORSPreflightRefusal(status: 400, code: "BadRequest",
                                                    message: "Insufficient information. Origin request header needed."))
            #expect(Self.refusal(Self.answer(configuration, bucketExists: false, origin: nil, method: nil)) == .missingOrigin)
        }
    }

    @Test func aBucketWithoutConfigurationRefusesEveryPreflight() {
        let refusal = Self.refusal(Self.answer(nil, origin: "whatever", method: "PUT"))
        #expect(refusal == CORSPreflightRefusal(status: 403, code: "AccessForbidden",
                                                message: "CORSResponse: CORS is not enabled for this bucket.",
                                                method: "PUT", resourceType: .bucket))
        let withoutMethod = Self.refusal(Self.answer(nil, origin: "whatever", method: nil))
        #expect(withoutMethod?.message == "CORSResponse: CORS is not enabled for this bucket.")
        #expect(withoutMethod?.method == "OPTIONS")
        #expect(withoutMethod?.resourceType == .bucket)
    }

    @Test func aMissingBucketIsNamed() {
        let refusal = Self.refusal(Self.answer(nil, bucketExists: false, origin: "whatever", method: nil))
        #expect(refusal == CORSPreflightRefusal(status: 403, code: "AccessForbidden", message: "CORSResponse: Bucket not found",
                                                method: "OPTIONS", resourceType: .bucket))
    }

    @Test func aRequestedMethodS3NeverAllowsIsABadRequest() {
        for configuration in [nil, Self.localhost] {
            #expect(Self.refusal(Self.answer(configuration, origin: "o", method: "BLAH")) == CORSPreflightRefusal(
                status: 400, code: "BadRequest", message: "Invalid Access-Control-Request-Method: BLAH"))
            #expect(Self.refusal(Self.answer(configuration, origin: "o", method: "OPTIONS"))?.message
                == "Invalid Access-Control-Request-Method: OPTIONS")
        }
    }

    @Test func aConfiguredBucketNeedsTheRequestedMethod() {
        #expect(Self.refusal(Self.answer(Self.localhost, origin: "https://localhost:4200", method: nil)) == CORSPreflightRefusal(
            status: 400, code: "BadRequest", message: "Invalid Access-Control-Request-Method: null"))
    }

    @Test func noMatchingRuleIsForbidden() {
        let refusal = Self.refusal(Self.answer(Self.localhost, origin: "http://localhost:4200", method: "PUT"))
        #expect(refusal == CORSPreflightRefusal(status: 403, code: "AccessForbidden", message: Self.notAllowedMessage,
                                                method: "PUT", resourceType: .object))
        let onBucket = Self.refusal(Self.answer(Self.localhost, origin: "http://localhost:4200", method: "GET", resourceType: .bucket))
        #expect(onBucket?.resourceType == .bucket)
        #expect(onBucket?.method == "GET")
        let header = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"], exposeHeaders: ["x-amz-meta-header1"]))
        #expect(Self.refusal(Self.answer(header, origin: "o", method: "GET", headers: "x-amz-meta-header2"))?.message
            == Self.notAllowedMessage)
        #expect(CORSConfiguration.preflightRefusal(configuration: header, origin: "o", requestMethod: "GET",
                                                   requestHeaders: ["x-amz-meta-header2"], resourceType: .object)?.status == 403)
    }

    @Test func anAllowedPreflightIsAnswered() throws {
        let result = try Self.answer(Self.localhost, origin: "https://localhost:4200", method: "PUT", headers: "X-Amz-Date").get()
        #expect(Self.lines(result.headers) == [
            "Access-Control-Allow-Origin: https://localhost:4200",
            "Access-Control-Allow-Methods: GET, PUT",
            "Access-Control-Allow-Headers: x-amz-date",
            "Access-Control-Max-Age: 3000",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        #expect(CORSConfiguration.preflightRefusal(configuration: Self.localhost, origin: "https://localhost:4200",
                                                   requestMethod: "PUT", requestHeaders: [], resourceType: .object) == nil)
    }

    // MARK: Actual requests

    @Test func anActualRequestFromAnAllowedOriginCarriesTheHeaders() {
        #expect(Self.lines(Self.localhost.headers(forOrigin: "https://localhost:4200", method: "GET")) == [
            "Access-Control-Allow-Origin: https://localhost:4200",
            "Access-Control-Allow-Methods: GET, PUT",
            "Access-Control-Max-Age: 3000",
            "Access-Control-Allow-Credentials: true",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
        let star = Self.single(CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET", "PUT"], exposeHeaders: ["ETag"]))
        #expect(Self.lines(star.headers(forOrigin: "http://random:1234", method: "GET")) == [
            "Access-Control-Allow-Origin: *",
            "Access-Control-Allow-Methods: GET, PUT",
            "Access-Control-Expose-Headers: ETag",
            "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ])
    }

    /// Served as a plain request: no CORS header, and no `Vary` either.
    @Test func anActualRequestNoRuleMatchesCarriesNothing() {
        #expect(Self.localhost.headers(forOrigin: "http://localhost:4200", method: "GET").isEmpty)
        #expect(Self.localhost.headers(forOrigin: "https://localhost:4200", method: "DELETE").isEmpty)
    }

    @Test func anActualRequestIsMatchedOnAPreflightsMethodWhenItNamesOne() {
        let getOnly = Self.single(CORSRule(allowedOrigins: ["https://localhost:4200"], allowedMethods: ["GET"],
                                           allowedHeaders: ["*"], maxAgeSeconds: 3000))
        #expect(getOnly.headers(forOrigin: "https://localhost:4200", method: "GET", accessControlRequestMethod: "PUT").isEmpty)
        #expect(!getOnly.headers(forOrigin: "https://localhost:4200", method: "PUT", accessControlRequestMethod: "GET").isEmpty)
    }

    @Test func anActualRequestNamingPreflightHeadersNeedsThemAllowed() {
        let rule = Self.single(CORSRule(allowedOrigins: ["https://localhost:4200"], allowedMethods: ["GET"],
                                        allowedHeaders: ["x-amz-expected-bucket-owner"], maxAgeSeconds: 3000))
        #expect(rule.headers(forOrigin: "https://localhost:4200", method: "GET",
                             accessControlRequestHeaders: ["x-amz-request-payer"]).isEmpty)
        // Its real headers are not evaluated: only those it names in Access-Control-Request-Headers.
        #expect(Self.lines(rule.headers(forOrigin: "https://localhost:4200", method: "GET")).last
            == "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    }
}
