import LockstepTestSupport
import MultipartKit
import NIOCore
@testable import S3API
import Testing

@Suite("POST Object: reading the form")
struct PostFormReaderTests {
    typealias F = PostObjectFixtures

    static let fields = [
        F.field("key", "user/eric/${filename}"), F.field("acl", "public-read"),
        F.field("Content-Type", "image/jpeg"), F.field("x-amz-meta-tag", "café"), F.field("Policy", "eyJ9"),
    ]

    @Test func fieldsThenFile() async throws {
        let data = Array("line one\r\nline two\r\n\r\n--not the boundary\r\n".utf8)
        let (reader, _) = F.reader(F.body(Self.fields + [F.file(data)]))
        let (form, file) = try await F.readAll(reader)
        #expect(form.fields.map(\.name) == ["key", "acl", "Content-Type", "x-amz-meta-tag", "Policy"])
        #expect(form.value("policy") == "eyJ9")
        #expect(form.value("X-AMZ-META-TAG") == "café")
        #expect(form.filename == "photo.jpg")
        #expect(form.fileContentType == "image/jpeg")
        #expect(form.key == "user/eric/photo.jpg")
        #expect(file == data)
    }

    @Test func bodyFromMultipartKitsSerializer() async throws {
        let data = F.awkwardBytes(count: 3000, boundary: "123abc")
        var parts = [MultipartPart(headers: ["Content-Disposition": "form-data; name=\"key\""], body: "k")]
        parts.append(MultipartPart(
            headers: ["Content-Disposition": "form-data; name=\"file\"; filename=\"a.bin\"", "Content-Type": "application/octet-stream"],
            body: data))
        var buffer = ByteBuffer()
        try MultipartSerializer().serialize(parts: parts, boundary: "123abc", into: &buffer)
        let (reader, _) = F.reader(Array(buffer.readableBytesView), chunkSize: 100, boundary: "123abc")
        let (form, file) = try await F.readAll(reader)
        #expect(form.key == "k")
        #expect(form.filename == "a.bin")
        #expect(form.fileContentType == "application/octet-stream")
        #expect(file == data)
    }

    /// Delimiter bytes split across chunks at every offset: byte by byte, the file still comes out whole.
    @Test func oneByteAtATime() async throws {
        let data = F.awkwardBytes(count: 2000)
        let body = F.body(Self.fields + [F.file(data), F.field("submit", "Upload")])
        let feeder = ChunkFeeder(body, sizes: { _ in 1 })
        let (form, file) = try await F.readAll(PostFormReader(boundary: F.boundary, next: { feeder.next() }))
        #expect(form.fields.count == 5)
        #expect(file == data)
    }

    @Test(arguments: 1...25)
    func randomSplits(_ seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let data = F.awkwardBytes(count: Int(rng.next() % 20_000), seed: seed)
        let body = F.body(Self.fields + [F.file(data)])
        let feeder = ChunkFeeder(body, sizes: { _ in Int(rng.next() % 700) + 1 })
        let (form, file) = try await F.readAll(PostFormReader(boundary: F.boundary, next: { feeder.next() }))
        #expect(form.value("acl") == "public-read")
        #expect(file == data)
    }

    @Test func quotedBoundaryWithSpacesAndEmptyFile() async throws {
        let boundary = try FormBoundary.parse(contentType: "multipart/form-data; boundary=\"my boundary:1\"")
        let (reader, _) = F.reader(F.body([F.field("key", "k"), F.file([])], boundary: boundary), boundary: boundary)
        let (form, file) = try await F.readAll(reader)
        #expect(form.key == "k")
        #expect(file.isEmpty)
    }

    /// 5 MB in 64 KiB chunks: the reader pulls the body as the file is consumed and never hands on more than a chunk.
    @Test func largeFileStreamsInBoundedMemory() async throws {
        let size = 5 * 1024 * 1024, chunk = 64 * 1024
        let data = F.awkwardBytes(count: size)
        let feeder = ChunkFeeder(F.body([F.field("key", "big")] + [F.file(data)]), sizes: { _ in chunk })
        let reader = PostFormReader(boundary: F.boundary, next: { feeder.next() })
        _ = try await reader.readFields()
        #expect(feeder.offset <= chunk)
        var received: [UInt8] = []
        received.reserveCapacity(size)
        var largest = 0
        while let piece = try await reader.nextFileChunk() {
            largest = max(largest, piece.readableBytes)
            received += piece.readableBytesView
            // Never more than two chunks ahead of what was handed on.
            #expect(feeder.offset - received.count <= 2 * chunk)
        }
        #expect(largest <= chunk + F.boundary.utf8.count + 4)
        #expect(received == data)
    }

    @Test func fieldNamesAreCaseInsensitiveAndFileMayBeCapitalised() async throws {
        let body = F.body([F.field("KEY", "a"), F.field("key", "b"), F.file(Array("x".utf8), name: "File")])
        let (form, file) = try await F.readAll(F.reader(body).0)
        #expect(form.value("Key") == "a,b")  // a name given twice is one comma-joined value
        #expect(form.fieldNames == ["KEY"])
        #expect(file == Array("x".utf8))
    }

    @Test func fieldsAfterTheFileAreIgnored() async throws {
        let data = Array("payload".utf8)
        let body = F.body([F.field("key", "k"), F.file(data), F.field("acl", "public-read"), F.field("submit", "Upload")])
        let (form, file) = try await F.readAll(F.reader(body).0)
        #expect(form.fields.map(\.name) == ["key"])
        #expect(form.value("acl") == nil)
        #expect(file == data)
    }

    /// A part with a file name but another name is a field; only `file` is the file.
    @Test func onlyThePartNamedFileIsTheFile() async throws {
        let body = F.body([F.file(Array("not me".utf8), name: "upload"), F.field("key", "k"), F.file(Array("me".utf8))])
        let (form, file) = try await F.readAll(F.reader(body).0)
        #expect(form.value("upload") == "not me")
        #expect(file == Array("me".utf8))
    }

    @Test func missingFileIsInvalidArgument() async {
        let (reader, _) = F.reader(F.body([F.field("key", "k"), F.field("acl", "private")]))
        await #expect(throws: PostObjectError.incorrectNumberOfFiles(0)) { try await reader.readFields() }
        #expect(PostObjectError.incorrectNumberOfFiles(0).details.map(\.1) == ["file", "0"])
    }

    @Test func twoFilesAreRefusedBeforeTheEnd() async throws {
        let body = F.body([F.field("key", "k"), F.file(Array("one".utf8)), F.file(Array("two".utf8), filename: "b")])
        let reader = F.reader(body).0
        _ = try await reader.readFields()
        await #expect(throws: PostObjectError.incorrectNumberOfFiles(2)) {
            while try await reader.nextFileChunk() != nil {}
        }
        // And it stays refused.
        await #expect(throws: PostObjectError.incorrectNumberOfFiles(2)) { try await reader.nextFileChunk() }
    }

    /// Ten thousand tiny fields pass S3's 20,480 bytes long before the end: refused after reading about that much.
    @Test func tenThousandFieldsAreRefusedPromptly() async {
        let parts = (0..<10_000).map { F.field("x-amz-meta-\($0)", "v") }
        let (reader, feeder) = F.reader(F.body(parts + [F.file([1])]))
        await #expect(throws: PostObjectError.maxPostPreDataLengthExceeded(limit: 20_480)) { try await reader.readFields() }
        #expect(feeder.offset <= 20_480 + 4096)
        #expect(PostObjectError.maxPostPreDataLengthExceeded(limit: 20_480).details.first! == ("MaxPostPreDataLengthBytes", "20480"))
    }

    @Test func formJustUnderTheLimitIsRead() async throws {
        let value = String(repeating: "a", count: 19_500)
        let (form, _) = try await F.readAll(F.reader(F.body([F.field("x-amz-meta-big", value), F.file([1])])).0)
        #expect(form.value("x-amz-meta-big") == value)
    }

    @Test func fieldCountIsBounded() async {
        let parts = (0..<20).map { F.field("f\($0)", "v") }
        let feeder = ChunkFeeder(F.body(parts + [F.file([1])]), sizes: { _ in 4096 })
        let reader = PostFormReader(boundary: F.boundary, maxFieldCount: 10, next: { feeder.next() })
        await #expect(throws: PostObjectError.self) { try await reader.readFields() }
    }

    /// Every cut of a body is refused, except those that drop only the CRLF after the close delimiter.
    @Test func truncatedBodiesAreMalformed() async throws {
        let body = F.body([F.field("key", "k"), F.file(Array("data\r\n--".utf8)), F.field("submit", "go")])
        for cut in 0..<(body.count - 2) {
            let (reader, _) = F.reader(Array(body.prefix(cut)), chunkSize: 7)
            await #expect(throws: PostObjectError.self, "cut at \(cut)") { _ = try await F.readAll(reader) }
        }
        for cut in (body.count - 2)...body.count {
            let (_, file) = try await F.readAll(F.reader(Array(body.prefix(cut))).0)
            #expect(file == Array("data\r\n--".utf8))
        }
    }

    @Test(arguments: [
        "",  // the body ends with the file's CRLF
        "--\(PostObjectFixtures.boundary)\r\n",  // a delimiter, then nothing
        "--\(PostObjectFixtures.boundary)-",  // half a close
        "--\(PostObjectFixtures.boundary)-\r\n",
        "--\(PostObjectFixtures.boundary)X",  // the boundary running on
    ])
    func missingCloseDelimiterIsMalformed(_ close: String) async throws {
        let reader = F.reader(F.body([F.field("key", "k"), F.file(Array("abc".utf8))], close: close)).0
        _ = try await reader.readFields()
        await #expect(throws: PostObjectError.malformedPOSTRequest) { while try await reader.nextFileChunk() != nil {} }
    }

    @Test func epilogueAfterTheCloseIsIgnored() async throws {
        let close = "--\(F.boundary)--\r\nthis is the epilogue\r\n--\(F.boundary)\r\n"
        let (_, file) = try await F.readAll(F.reader(F.body([F.field("key", "k"), F.file([9])], close: close)).0)
        #expect(file == [9])
    }

    /// A leading CRLF is fine; a preamble is refused (the parser's preamble matching is not one to trust).
    @Test func bodyBeginsWithItsDelimiter() async throws {
        let body = F.body([F.field("key", "k"), F.file([9])])
        let (form, file) = try await F.readAll(F.reader(Array("\r\n".utf8) + body).0)
        #expect(form.key == "k")
        #expect(file == [9])
        let (reader, _) = F.reader(Array("This is a preamble.\r\n".utf8) + body)
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    /// A byte above 0x7F in a header name traps MultipartKit 4.7.1; it must be refused before the parser sees it,
    /// wherever it is and however the body is cut.
    @Test(arguments: [0, 1, 2])
    func nonASCIIHeaderNamesAreMalformedNotACrash(_ where: Int) async throws {
        var parts = [F.field("key", "k"), F.file(Array("payload".utf8)), F.field("submit", "go")]
        parts[`where`].headers.append(("X-Caf\u{E9}", "1"))
        let body = F.body(parts)
        for chunk in [1, 5, 4096] {
            let (reader, _) = F.reader(body, chunkSize: chunk)
            await #expect(throws: PostObjectError.malformedPOSTRequest) { _ = try await F.readAll(reader) }
        }
    }

    /// Non-ASCII in header values (a UTF-8 file name) and in content is fine.
    @Test func nonASCIIHeaderValuesAreFine() async throws {
        let data: [UInt8] = Array(0...255)
        let body = F.body([F.field("x-amz-meta-clé", "é"), F.field("key", "k/${filename}"), F.file(data, filename: "président.jpg")])
        let (form, file) = try await F.readAll(F.reader(body, chunkSize: 3).0)
        #expect(form.value("x-amz-meta-clé") == "é")
        #expect(form.key == "k/président.jpg")
        #expect(file == data)
    }

    /// A body that does not use its declared boundary is refused at once.
    @Test func bodyWithoutItsBoundaryIsMalformed() async {
        let other = F.body([F.field("key", "k"), F.file(Array(repeating: 1, count: 100_000))], boundary: "other")
        let (big, feeder) = F.reader(other)
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await big.readFields() }
        #expect(feeder.offset <= 4096)
        let (small, _) = F.reader(F.body([F.field("key", "k"), F.file([1])], boundary: "other"))
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await small.readFields() }
    }

    @Test func emptyBodyIsMalformed() async {
        let (reader, _) = F.reader([])
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    @Test(arguments: [
        [("Content-Type", "text/plain")],  // no Content-Disposition
        [("Content-Disposition", "form-data")],  // no name
        [("Content-Disposition", "form-data; name=\"unterminated")],
    ])
    func partsNeedANamedDisposition(_ headers: [(String, String)]) async {
        let body = F.body([F.Part(headers: headers, body: Array("v".utf8)), F.file([1])])
        let (reader, _) = F.reader(body)
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    @Test func bareLineFeedsAreMalformed() async {
        let body = Array("--\(F.boundary)\nContent-Disposition: form-data; name=\"key\"\n\nk\n--\(F.boundary)--\n".utf8)
        let (reader, _) = F.reader(body)
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    @Test func fieldValuesMustBeUTF8() async {
        let body = F.body([F.Part(headers: [("Content-Disposition", "form-data; name=\"key\"")], body: [0xFF, 0xFE]), F.file([1])])
        let (reader, _) = F.reader(body)
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    @Test func emptyBoundaryIsMalformedNotATrap() async {
        let reader = PostFormReader(boundary: "", next: { nil })
        await #expect(throws: PostObjectError.malformedPOSTRequest) { try await reader.readFields() }
    }

    @Test func sourceErrorsPassThrough() async {
        struct Broken: Error {}
        var calls = 0
        let body = F.body([F.field("key", "k"), F.file(Array(repeating: 7, count: 10_000))])
        let feeder = ChunkFeeder(body, sizes: { _ in 1000 })
        let reader = PostFormReader(boundary: F.boundary, next: {
            calls += 1
            if calls > 3 { throw Broken() }
            return feeder.next()
        })
        await #expect(throws: Broken.self) { _ = try await F.readAll(reader) }
    }

    // MARK: The file part's name

    @Test(arguments: [
        ("photo.jpg", "user/eric/photo.jpg"),
        ("C:\\Program Files\\directory1\\file.txt", "user/eric/file.txt"),
        ("/home/eric/pics/cat.png", "user/eric/cat.png"),
        ("", "user/eric/"),
    ])
    func filenameExpandsIntoTheKey(_ filename: String, _ key: String) async throws {
        let body = F.body([F.field("key", "user/eric/${filename}"), F.file([1], filename: filename)])
        let (form, _) = try await F.readAll(F.reader(body).0)
        #expect(form.filename == filename)
        #expect(form.key == key)
    }

    /// Without a `filename` parameter S3 keeps `${filename}` as written.
    @Test func noFilenameKeepsTheVariable() async throws {
        let body = F.body([F.field("key", "file-as-field-${filename}"), F.file([1], filename: nil, contentType: nil)])
        let (form, _) = try await F.readAll(F.reader(body).0)
        #expect(form.filename == nil)
        #expect(form.fileContentType == nil)
        #expect(form.key == "file-as-field-${filename}")
        #expect(throws: Never.self) { try form.requiredKey() }
    }

    @Test func missingKeyIsInvalidArgument() {
        let form = PostForm(fields: [.init(name: "acl", value: "private")])
        #expect(throws: PostObjectError.missingField("key")) { try form.requiredKey() }
        #expect(PostObjectError.missingField("key").message
            == "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
    }
}
