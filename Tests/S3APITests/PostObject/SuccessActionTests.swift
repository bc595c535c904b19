import Testing
@testable import S3API

@Suite("POST Object: the answer to a success")
struct SuccessActionTests {
    static func form(_ fields: [(String, String)]) -> PostForm {
        PostForm(fields: fields.map { PostForm.Field(name: $0.0, value: $0.1) }, filename: "a b.jpg")
    }

    @Test(arguments: [
        (nil, 204), ("200", 200), ("201", 201), ("204", 204), ("404", 204), ("", 204), (" 201", 204), ("abc", 204),
    ] as [(String?, Int)])
    func status(_ value: String?, _ status: Int) {
        let action = SuccessAction(Self.form(value.map { [("success_action_status", $0)] } ?? []))
        #expect(action == .status(status))
        #expect(action.statusCode == status)
    }

    @Test func redirectWinsOverStatus() {
        let action = SuccessAction(Self.form([("success_action_status", "201"), ("success_action_redirect", "https://a.test/done")]))
        #expect(action == .redirect("https://a.test/done"))
        #expect(action.statusCode == 303)
        #expect(action.redirectLocation(bucket: "b", key: "k", etag: "\"e\"") == "https://a.test/done?bucket=b&key=k&etag=%22e%22")
    }

    @Test func olderRedirectFieldAndCase() {
        #expect(SuccessAction(Self.form([("redirect", "http://a.test/")])) == .redirect("http://a.test/"))
        #expect(SuccessAction(Self.form([("Success_Action_Redirect", "HTTP://a.test/")])) == .redirect("HTTP://a.test/"))
        #expect(SuccessAction(Self.form([("success_action_redirect", "http://a.test/1"), ("redirect", "http://a.test/2")]))
            == .redirect("http://a.test/1"))
    }

    /// A URL S3 cannot read is as if absent; a relative one answered 204.
    @Test(arguments: ["/wrong/redirect/relative", "ftp://a.test/", "http://", "javascript:alert(1)", "", "http:///path"])
    func unreadableRedirectIsIgnored(_ url: String) {
        #expect(SuccessAction(Self.form([("success_action_redirect", url)])) == .status(204))
        #expect(SuccessAction(Self.form([("success_action_redirect", url), ("success_action_status", "200")])) == .status(200))
    }

    /// As S3 answered: the query kept, raw; `bucket`, `key`, `etag` appended, form-encoded.
    @Test func redirectLocationEncoding() {
        let url = "https://app.test/upload_complete?md5=x&remote_url=https://s3.test/Untitled copy.sketch"
        let location = SuccessAction.redirect(url).redirectLocation(
            bucket: "omnivore-scratch", key: "8329/1391639479.7579765/Untitled copy.sketch", etag: "\"47371919f8bdb6e35df40d8744db818a\"")
        #expect(location == url + "&bucket=omnivore-scratch&key=8329%2F1391639479.7579765%2FUntitled+copy.sketch"
            + "&etag=%2247371919f8bdb6e35df40d8744db818a%22")
    }

    @Test func redirectLocationShapes() {
        let etag = "\"e\""
        #expect(SuccessAction.redirect("https://a.test/p?").redirectLocation(bucket: "b", key: "k", etag: etag)
            == "https://a.test/p?bucket=b&key=k&etag=%22e%22")
        #expect(SuccessAction.redirect("https://a.test/p?x=1&").redirectLocation(bucket: "b", key: "k", etag: etag)
            == "https://a.test/p?x=1&bucket=b&key=k&etag=%22e%22")
        #expect(SuccessAction.redirect("https://a.test/p#done").redirectLocation(bucket: "b", key: "é ~*&=", etag: etag)
            == "https://a.test/p?bucket=b&key=%C3%A9+%7E*%26%3D&etag=%22e%22#done")
        #expect(SuccessAction.status(201).redirectLocation(bucket: "b", key: "k", etag: etag) == nil)
    }

    @Test func redirectFieldsExpandFilename() {
        #expect(SuccessAction(Self.form([("success_action_redirect", "https://a.test/${filename}")]))
            == .redirect("https://a.test/a b.jpg"))
    }

    @Test func objectLocationEncodesTheKey() {
        #expect(SuccessAction.objectLocation(bucketURL: "https://foobar.s3.amazonaws.com", key: "président.jpg")
            == "https://foobar.s3.amazonaws.com/pr%C3%A9sident.jpg")
        #expect(SuccessAction.objectLocation(bucketURL: "http://s3.amazonaws.com/happybucket2", key: "prefix/111222")
            == "http://s3.amazonaws.com/happybucket2/prefix%2F111222")
        #expect(SuccessAction.objectLocation(bucketURL: "http://h/b", key: "uploads/{x}/a b~.txt")
            == "http://h/b/uploads%2F%7Bx%7D%2Fa%20b~.txt")
    }

    @Test func postResponseDocument() {
        let xml = SuccessAction.postResponseXML(
            location: "https://foobar.s3.amazonaws.com/pr%C3%A9sident.jpg", bucket: "foobar", key: "président.jpg",
            etag: "\"14dd4667441ada2b3914e5c1b72573b3\"")
        #expect(xml == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>https://foobar.s3.amazonaws.com/pr%C3%A9sident.jpg</Location><Bucket>foobar</Bucket><Key>président.jpg</Key><ETag>\"14dd4667441ada2b3914e5c1b72573b3\"</ETag></PostResponse>")
    }

    @Test func postResponseEscapesXML() {
        let xml = SuccessAction.postResponseXML(location: "http://h/b/a%26b", bucket: "b", key: "a&b<c>\r", etag: "\"e\"")
        #expect(xml.contains("<Key>a&amp;b&lt;c&gt;&#13;</Key>"))
    }
}
