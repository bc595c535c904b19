import Foundation
import LockstepXML
import Testing
@testable import S3API

/// The `CORSConfiguration` document of Put/GetBucketCors: AWS's examples read, rendered and stored; every refusal with
/// S3's code and message.
@Suite("CORS configuration document")
struct CORSConfigurationTests {
    static func document(_ rules: String) -> String {
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(rules)</CORSConfiguration>"
    }

    static func parse(_ rules: String) throws -> CORSConfiguration {
        try CORSConfiguration(xml: corsXML(document(rules)))
    }

    /// The refusal of a document, or nil when it is accepted.
    static func refusal(_ xml: String) throws -> CORSConfigurationError? {
        let root = try corsXML(xml)
        do {
            _ = try CORSConfiguration(xml: root)
            return nil
        } catch {
            return error
        }
    }

    static func refusal(rules: String) throws -> CORSConfigurationError? { try refusal(document(rules)) }

    static func rendered(_ configuration: CORSConfiguration) -> String {
        var x = XMLWriter()
        configuration.write(into: &x)
        return x.string
    }

    static let rule = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"

    // MARK: AWS's examples

    /// PutBucketCors's example request (its `</MaxAgeSec>` typo mended), pretty-printed as the page prints it.
    static let putBucketCorsExample = """
        <CORSConfiguration>
          <CORSRule>
            <AllowedOrigin>http://www.example.com</AllowedOrigin>
            <AllowedMethod>PUT</AllowedMethod>
            <AllowedMethod>POST</AllowedMethod>
            <AllowedMethod>DELETE</AllowedMethod>
            <AllowedHeader>*</AllowedHeader>
            <MaxAgeSeconds>3000</MaxAgeSeconds>
            <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
          </CORSRule>
          <CORSRule>
            <AllowedOrigin>*</AllowedOrigin>
            <AllowedMethod>GET</AllowedMethod>
            <AllowedHeader>*</AllowedHeader>
            <MaxAgeSeconds>3000</MaxAgeSeconds>
          </CORSRule>
        </CORSConfiguration>
        """

    @Test func putBucketCorsExampleIsReadInDocumentOrder() throws {
        let configuration = try CORSConfiguration(xml: corsXML(Self.putBucketCorsExample))
        #expect(configuration.rules == [
            CORSRule(allowedOrigins: ["http://www.example.com"], allowedMethods: ["PUT", "POST", "DELETE"],
                     allowedHeaders: ["*"], exposeHeaders: ["x-amz-server-side-encryption"], maxAgeSeconds: 3000),
            CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: ["*"], maxAgeSeconds: 3000),
        ])
    }

    @Test func getBucketCorsAnswersInS3sNamespaceAndModelOrder() throws {
        let configuration = try CORSConfiguration(xml: corsXML(Self.putBucketCorsExample))
        #expect(Self.rendered(configuration) == """
            <?xml version="1.0" encoding="UTF-8"?>
            <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
            <CORSRule><AllowedHeader>*</AllowedHeader><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>\
            <AllowedMethod>DELETE</AllowedMethod><AllowedOrigin>http://www.example.com</AllowedOrigin>\
            <ExposeHeader>x-amz-server-side-encryption</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>\
            <CORSRule><AllowedHeader>*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>\
            <MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>
            """)
    }

    /// The user guide's three-rule example, with an ID and escaped values: what is rendered reads back the same.
    @Test func renderedDocumentReadsBackUnchanged() throws {
        let configuration = try Self.parse("""
            <CORSRule><ID>writers &amp; co</ID><AllowedOrigin>http://www.example1.com</AllowedOrigin>\
            <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>\
            <AllowedHeader>*</AllowedHeader></CORSRule>\
            <CORSRule><AllowedOrigin>http://www.example2.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>\
            <AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>\
            <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
            """)
        #expect(configuration.rules.count == 3)
        #expect(configuration.rules[0].id == "writers & co")
        #expect(configuration.rules[2] == CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET"]))
        let text = Self.rendered(configuration)
        #expect(text.contains("<ID>writers &amp; co</ID>"))
        #expect(try CORSConfiguration(xml: corsXML(text)) == configuration)
    }

    /// Values come back as given: origins unnormalized (a default port kept), header names in their case, an empty
    /// origin, which S3 accepts, and a negative age, which its schema's integer allows.
    @Test func valuesAreKeptAsGiven() throws {
        let configuration = try Self.parse("""
            <CORSRule><AllowedOrigin>http://test.com:80</AllowedOrigin><AllowedOrigin></AllowedOrigin>\
            <AllowedMethod>HEAD</AllowedMethod><AllowedHeader>x-AMZ-server-SIDE-encryption</AllowedHeader>\
            <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds> -1 </MaxAgeSeconds></CORSRule>
            """)
        #expect(configuration.rules == [
            CORSRule(allowedOrigins: ["http://test.com:80", ""], allowedMethods: ["HEAD"],
                     allowedHeaders: ["x-AMZ-server-SIDE-encryption"], exposeHeaders: ["ETag"], maxAgeSeconds: -1),
        ])
        #expect(Self.rendered(configuration).contains("<AllowedOrigin></AllowedOrigin>"))
    }

    @Test func elementsMayComeInAnyOrder() throws {
        let configuration = try Self.parse("""
            <CORSRule><MaxAgeSeconds>5</MaxAgeSeconds><AllowedMethod>GET</AllowedMethod><ID>r</ID>\
            <AllowedOrigin>a</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>b</AllowedOrigin></CORSRule>
            """)
        #expect(configuration.rules == [CORSRule(id: "r", allowedOrigins: ["a", "b"], allowedMethods: ["GET", "PUT"], maxAgeSeconds: 5)])
    }

    // MARK: Storage

    @Test func storedAsTheConsolesJSON() throws {
        let configuration = CORSConfiguration(rules: [
            CORSRule(id: "r1", allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: ["x-amz-*"],
                     exposeHeaders: ["ETag"], maxAgeSeconds: 3000),
            CORSRule(allowedOrigins: ["https://a.example"], allowedMethods: ["PUT"]),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        #expect(json == #"{"CORSRules":[{"AllowedHeaders":["x-amz-*"],"AllowedMethods":["GET"],"AllowedOrigins":["*"],"ExposeHeaders":["ETag"],"ID":"r1","MaxAgeSeconds":3000},{"AllowedMethods":["PUT"],"AllowedOrigins":["https:\/\/a.example"]}]}"#)
        #expect(try JSONDecoder().decode(CORSConfiguration.self, from: Data(json.utf8)) == configuration)
    }

    // MARK: MalformedXML

    static let malformed: [(String, String)] = [
        ("another root", "<CORSConfig><CORSRule>\(rule)</CORSRule></CORSConfig>"),
        ("no rule", document("")),
        ("an unknown element beside the rules", document("<CORSRule>\(rule)</CORSRule><Rule/>")),
        ("an empty rule", document("<CORSRule/>")),
        ("no origin", document("<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>")),
        ("no method", document("<CORSRule><AllowedOrigin>http://www.example.com</AllowedOrigin></CORSRule>")),
        ("an unknown element in a rule", document("<CORSRule>\(rule)<AllowedMethods>GET</AllowedMethods></CORSRule>")),
        ("two IDs", document("<CORSRule><ID>a</ID><ID>b</ID>\(rule)</CORSRule>")),
        ("two ages", document("<CORSRule>\(rule)<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule>")),
        ("an age that is not a number", document("<CORSRule>\(rule)<MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>")),
        ("an age past a 32-bit integer", document("<CORSRule>\(rule)<MaxAgeSeconds>2147483648</MaxAgeSeconds></CORSRule>")),
        ("an empty age", document("<CORSRule>\(rule)<MaxAgeSeconds></MaxAgeSeconds></CORSRule>")),
        ("an element inside a value", document("<CORSRule><AllowedOrigin><Host>a</Host></AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>")),
    ]

    @Test(arguments: malformed)
    func schemaViolationsAreMalformedXML(_ violation: (String, String)) throws {
        let refusal = try Self.refusal(violation.1)
        #expect(refusal?.code == "MalformedXML", "\(violation.0)")
        #expect(refusal?.message == "The XML you provided was not well-formed or did not validate against our published schema")
    }

    /// The schema is checked across the whole document before any value is judged.
    @Test func aShapeErrorInALaterRuleOutranksABadValueInAnEarlierOne() throws {
        let refusal = try Self.refusal(rules: """
            <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule>\
            <CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>
            """)
        #expect(refusal == .malformedXML)
    }

    // MARK: InvalidRequest

    /// LocalStack's recording of S3: one unsupported method among supported ones, beside a `*` origin.
    @Test func anUnsupportedMethodIsNamed() throws {
        let refusal = try Self.refusal(rules: """
            <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedOrigin>https://test.com</AllowedOrigin>\
            <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>\
            <AllowedMethod>MYMETHOD</AllowedMethod></CORSRule>
            """)
        #expect(refusal?.code == "InvalidRequest")
        #expect(refusal?.message == "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD")
    }

    @Test(arguments: ["", "get", "OPTIONS", "PATCH", " GET"])
    func onlyTheFiveMethodsAsWrittenAreSupported(_ method: String) throws {
        let refusal = try Self.refusal(rules: "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>\(method)</AllowedMethod></CORSRule>")
        #expect(refusal == .unsupportedMethod(method))
        #expect(refusal?.message == "Found unsupported HTTP method in CORS config. Unsupported method is \(method)")
    }

    @Test func allFiveMethodsAreSupported() throws {
        let methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]
        let configuration = try Self.parse("<CORSRule><AllowedOrigin>*</AllowedOrigin>"
            + methods.map { "<AllowedMethod>\($0)</AllowedMethod>" }.joined() + "</CORSRule>")
        #expect(configuration.rules[0].allowedMethods == methods)
    }

    @Test func anOriginHoldsAtMostOneWildcard() throws {
        let refusal = try Self.refusal(rules: "<CORSRule><AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>")
        #expect(refusal?.code == "InvalidRequest")
        #expect(refusal?.message == "AllowedOrigin \"*example*.com\" can not have more than one wildcard.")
        #expect(try Self.refusal(rules: "<CORSRule><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>") == nil)
    }

    @Test func anAllowedHeaderHoldsAtMostOneWildcard() throws {
        let refusal = try Self.refusal(rules: "<CORSRule>\(Self.rule)<AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>*-amz-*</AllowedHeader></CORSRule>")
        #expect(refusal?.code == "InvalidRequest")
        #expect(refusal?.message == "AllowedHeader \"*-amz-*\" can not have more than one wildcard.")
    }

    @Test func anExposedHeaderHoldsNoWildcard() throws {
        let refusal = try Self.refusal(rules: "<CORSRule>\(Self.rule)<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-meta-*</ExposeHeader></CORSRule>")
        #expect(refusal?.code == "InvalidRequest")
        #expect(refusal?.message == "ExposeHeader \"x-amz-meta-*\" contains wildcard. We currently do not support wildcard for ExposeHeader.")
    }

    @Test func atMostOneHundredRules() throws {
        let rule = "<CORSRule>\(Self.rule)</CORSRule>"
        #expect(try Self.parse(String(repeating: rule, count: 100)).rules.count == 100)
        let refusal = try Self.refusal(rules: String(repeating: rule, count: 101))
        #expect(refusal?.code == "InvalidRequest")
        #expect(refusal?.message == "The number of CORS rules should not exceed allowed limit of 100 rules.")
    }

    @Test func anIDIsAtMost255Characters() throws {
        let longest = String(repeating: "é", count: 255)
        #expect(try Self.parse("<CORSRule><ID>\(longest)</ID>\(Self.rule)</CORSRule>").rules[0].id == longest)
        let tooLong = String(repeating: "a", count: 256)
        let refusal = try Self.refusal(rules: "<CORSRule><ID>\(tooLong)</ID>\(Self.rule)</CORSRule>")
        #expect(refusal?.code == "InvalidArgument")
        #expect(refusal?.message == "ID length should not exceed allowed limit of 255")
        #expect(refusal?.argumentName == "ID")
        #expect(refusal?.argumentValue == tooLong)
    }

    /// Rules are judged in document order, and within a rule its methods before its origins.
    @Test func theFirstInvalidValueIsReported() throws {
        let refusal = try Self.refusal(rules: """
            <CORSRule><AllowedOrigin>http://*.example.*</AllowedOrigin><AllowedMethod>TRACE</AllowedMethod></CORSRule>\
            <CORSRule><AllowedOrigin>http://*.example323.*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>
            """)
        #expect(refusal == .unsupportedMethod("TRACE"))
        let second = try Self.refusal(rules: """
            <CORSRule><AllowedOrigin>http://*.example.*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>\
            <CORSRule><AllowedOrigin>http://*.example323.*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>
            """)
        #expect(second == .originWildcards("http://*.example.*"))
    }
}
