import Testing
@testable import S3API

@Suite("POST Object: the form's boundary")
struct FormBoundaryTests {
    @Test(arguments: [
        ("multipart/form-data; boundary=AaB03x", "AaB03x"),
        ("multipart/form-data; boundary=\"AaB03x\"", "AaB03x"),
        ("Multipart/Form-Data;Boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ("multipart/form-data; charset=utf-8; boundary=\"a b:c\"", "a b:c"),
        ("multipart/form-data; boundary=9431149156168; charset=UTF-8", "9431149156168"),
    ])
    func boundaryIsRead(_ contentType: String, _ boundary: String) throws {
        #expect(try FormBoundary.parse(contentType: contentType) == boundary)
    }

    @Test(arguments: [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=\"ends in space \"",
        "multipart/form-data; boundary=" + String(repeating: "x", count: 71),
        "multipart/form-data; boundary=\"caf\u{E9}\"",
    ])
    func formWithoutUsableBoundaryIsMalformed(_ contentType: String) {
        #expect(throws: PostObjectError.malformedPOSTRequest) { try FormBoundary.parse(contentType: contentType) }
    }

    @Test func seventyCharactersIsTheLongestBoundary() throws {
        let boundary = String(repeating: "x", count: 70)
        #expect(try FormBoundary.parse(contentType: "multipart/form-data; boundary=\(boundary)") == boundary)
    }

    /// S3 answers a bucket POST that is not a form with 412 and a `Condition`, not its table's RequestIsNotMultiPartContent.
    @Test(arguments: [nil, "text/plain", "application/x-www-form-urlencoded", "multipart/mixed; boundary=x", ""] as [String?])
    func notAFormIsPreconditionFailed(_ contentType: String?) {
        #expect(throws: PostObjectError.notMultipartFormData) { try FormBoundary.parse(contentType: contentType) }
        #expect(PostObjectError.notMultipartFormData.status == 412)
        #expect(PostObjectError.notMultipartFormData.details.first?.1 == "Bucket POST must be of the enclosure-type multipart/form-data")
    }
}
