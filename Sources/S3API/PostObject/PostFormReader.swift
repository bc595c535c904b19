import MultipartKit
import NIOCore

/// Reads a POST Object body: the form fields up to the part named `file`, then the file's bytes as they arrive.
///
/// MultipartKit's `MultipartParser` splits the parts; this adds what S3 requires around it: a part named `file`
/// (case-insensitive, disposition `form-data`) is the file and ends the form — fields after it are ignored, a second
/// `file` is refused; the bytes before the file are bounded (S3: 20,480); a part needs a `Content-Disposition` with a
/// name; and the body must end with its close delimiter, which the parser itself does not insist on. Every byte
/// passes `HeaderNameScreen` before the parser sees it.
///
/// The file is never held whole: each `nextFileChunk()` feeds at most one more chunk of the body to the parser and
/// hands on what it yielded. `nextFileChunk()` returns nil only once the whole body has been read and found
/// well-formed, so a caller commits the object only then.
final class PostFormReader {
    /// S3's limit on the form before the file, boundaries and part headers included. Counted as the parser is fed,
    /// in pieces of `fieldPieceBytes`, so the piece in which the file begins is not counted.
    static let maxPreDataBytes = 20_480
    /// Fields before the file; the byte limit allows about 400, this only guards a raised byte limit.
    static let maxFieldCount = 1_000
    /// Ignored bytes after the file (trailing fields, an epilogue) read before the body counts as malformed.
    static let maxTrailingBytes = 20_480
    /// How much of the body the parser is given at a time before the file begins, so the limit holds promptly.
    private static let fieldPieceBytes = 256

    private let source: () async throws -> ByteBuffer?
    private let boundary: String
    private let maxPreDataBytes: Int
    private let maxFieldCount: Int
    private let maxTrailingBytes: Int
    private let parser: MultipartParser
    private let parts: PartCollector
    private var screen: HeaderNameScreen

    /// Bytes of the body given to the parser before the file began.
    private var preDataBytes = 0
    /// Bytes given to the parser after the file ended.
    private var trailingBytes = 0
    /// The last bytes given to the parser, enough to hold a close delimiter that straddles chunks.
    private var recent: [UInt8] = []
    /// Everything from just before the file's end on, where the close delimiter must be found (bounded).
    private var afterFile: [UInt8] = []
    /// The rest of the chunk in which the file began.
    private var leftover: ByteBuffer?
    private var fieldsRead = false
    private var finished = false
    private var failure: (any Error)?

    /// `next` yields the body chunk by chunk, nil at its end. The limits are S3's unless a test lowers them.
    init(
        boundary: String, maxPreDataBytes: Int = PostFormReader.maxPreDataBytes,
        maxFieldCount: Int = PostFormReader.maxFieldCount, maxTrailingBytes: Int = PostFormReader.maxTrailingBytes,
        next: @escaping () async throws -> ByteBuffer?
    ) {
        self.source = next
        self.boundary = boundary
        self.maxPreDataBytes = maxPreDataBytes
        self.maxFieldCount = maxFieldCount
        self.maxTrailingBytes = maxTrailingBytes
        // The parser traps on an empty boundary; that one is refused in `readFields` instead.
        parser = MultipartParser(boundary: boundary.isEmpty ? "-" : boundary)
        screen = HeaderNameScreen(boundary: boundary)
        parts = PartCollector(maxFieldCount: maxFieldCount, maxPreDataBytes: maxPreDataBytes)
        let parts = parts
        parser.onHeader = { name, value in parts.header(name, value) }
        parser.onBody = { body in parts.body(&body) }
        parser.onPartComplete = { parts.partComplete() }
    }

    /// Reads until the file part begins and returns the fields before it. Throws `PostObjectError` for a form S3
    /// refuses (and passes on the source's own errors).
    func readFields() async throws -> PostForm {
        precondition(!fieldsRead, "readFields() reads the form once")
        fieldsRead = true
        return try await failing {
            guard !boundary.isEmpty else { throw PostObjectError.malformedPOSTRequest }
            while true {
                guard var chunk = try await source() else { throw endBeforeFile() }
                while chunk.readableBytes > 0 {
                    let piece = chunk.readSlice(length: min(Self.fieldPieceBytes, chunk.readableBytes))!
                    try feed(piece)
                    if parts.phase != .fields {
                        leftover = chunk.readableBytes > 0 ? chunk : nil
                        return PostForm(fields: parts.fields, filename: parts.filename, fileContentType: parts.fileContentType)
                    }
                    preDataBytes += piece.readableBytes
                    if preDataBytes > maxPreDataBytes {
                        throw PostObjectError.maxPostPreDataLengthExceeded(limit: maxPreDataBytes)
                    }
                }
            }
        }
    }

    /// The next bytes of the file, or nil once the body has ended well-formed. Throws `PostObjectError` for a body
    /// that ends early, lacks its close delimiter, or has another `file` part after the first.
    func nextFileChunk() async throws -> ByteBuffer? {
        precondition(fieldsRead, "readFields() comes first")
        return try await failing {
            while true {
                if parts.fileData.readableBytes > 0 {
                    defer { parts.fileData = ByteBuffer() }
                    return parts.fileData
                }
                if finished { return nil }
                if let rest = leftover {
                    leftover = nil
                    try feed(rest)
                    continue
                }
                guard let chunk = try await source() else {
                    try finish()
                    finished = true
                    return nil
                }
                try feed(chunk)
            }
        }
    }

    /// Once a call has failed, every later call fails the same way.
    private func failing<T>(_ body: () async throws -> T) async throws -> T {
        if let failure { throw failure }
        do {
            return try await body()
        } catch {
            failure = error
            throw error
        }
    }

    private func feed(_ buffer: ByteBuffer) throws {
        let before = parts.phase
        let recentBefore = recent
        guard screen.admits(buffer) else { throw PostObjectError.malformedPOSTRequest }
        do {
            try parser.execute(buffer)
        } catch {
            throw PostObjectError.malformedPOSTRequest
        }
        if let error = parts.error { throw error }

        let bytes = buffer.readableBytesView
        if parts.phase == .trailing {
            if before != .trailing {
                afterFile = recentBefore + bytes
            } else {
                trailingBytes += bytes.count
                guard trailingBytes <= maxTrailingBytes else { throw PostObjectError.malformedPOSTRequest }
                afterFile += bytes
            }
        }
        let keep = boundary.utf8.count + 6  // "\r\n--" boundary "--"
        recent = Array((recent + bytes.suffix(keep)).suffix(keep))
    }

    /// The body ended before any file part: with its close delimiter it is a form without a file; otherwise cut short.
    private func endBeforeFile() -> PostObjectError {
        guard parts.sawPart, probeFindsEpilogue() else { return .malformedPOSTRequest }
        return .incorrectNumberOfFiles(0)
    }

    /// The body ended after the file began: it must have ended the file and closed, with exactly one file.
    private func finish() throws {
        guard parts.phase == .trailing, containsCloseDelimiter(afterFile) else {
            throw PostObjectError.malformedPOSTRequest
        }
        if parts.fileCount != 1 { throw PostObjectError.incorrectNumberOfFiles(parts.fileCount) }
    }

    /// Whether `bytes` holds `CRLF--boundary--`. Nothing inside a part can contain `CRLF--boundary`, so where the
    /// bytes start before the file's own delimiter, the first such run is the body's close.
    private func containsCloseDelimiter(_ bytes: [UInt8]) -> Bool {
        let close = Array("\r\n--\(boundary)--".utf8)
        guard bytes.count >= close.count else { return false }
        var i = 0
        while i <= bytes.count - close.count {
            if bytes[i] == 0x0D, bytes[i..<(i + close.count)].elementsEqual(close) { return true }
            i += 1
        }
        return false
    }

    /// Whether the parser is past a close delimiter. After one it ignores everything, silently; in any other state
    /// a NUL, CR, NUL either reaches a callback or is a syntax error.
    private func probeFindsEpilogue() -> Bool {
        parts.probing = true
        defer { parts.probing = false }
        do {
            try parser.execute([0x00, 0x0D, 0x00])
        } catch {
            return false
        }
        return !parts.probeTouched
    }
}

/// What MultipartKit's callbacks report, gathered into fields and file bytes. A separate object so the parser's
/// closures do not retain the reader that owns the parser.
private final class PartCollector {
    enum Phase { case fields, file, trailing }
    enum Kind { case field(String), file, ignored }

    var phase = Phase.fields
    var fields: [PostForm.Field] = []
    var filename: String?
    var fileContentType: String?
    var fileCount = 0
    /// File bytes not yet handed on.
    var fileData = ByteBuffer()
    var error: PostObjectError?
    /// Whether any part has begun (a body that never matches its boundary has none).
    var sawPart = false
    var probing = false
    var probeTouched = false

    private let maxFieldCount: Int
    private let maxPreDataBytes: Int
    private var headers: [(String, String)] = []
    /// Known once the part's headers are done, which the parser signals only by the first body bytes or the end.
    private var kind: Kind?
    private var value: [UInt8] = []

    init(maxFieldCount: Int, maxPreDataBytes: Int) {
        self.maxFieldCount = maxFieldCount
        self.maxPreDataBytes = maxPreDataBytes
    }

    func header(_ name: String, _ value: String) {
        if probing {
            probeTouched = true
            return
        }
        sawPart = true
        headers.append((name, value))
    }

    func body(_ buffer: inout ByteBuffer) {
        if probing {
            probeTouched = true
            return
        }
        sawPart = true
        switch classify() {
        case .field: value += buffer.readableBytesView
        case .file: fileData.writeBuffer(&buffer)
        case .ignored: break
        }
    }

    func partComplete() {
        if probing {
            probeTouched = true
            return
        }
        sawPart = true
        switch classify() {
        case .field(let name):
            if let text = String(validating: value, as: UTF8.self) {
                fields.append(PostForm.Field(name: name, value: text))
                if fields.count > maxFieldCount { fail(.maxPostPreDataLengthExceeded(limit: maxPreDataBytes)) }
            } else {
                fail(.malformedPOSTRequest)  // the form must be UTF-8
            }
        case .file:
            phase = .trailing
        case .ignored:
            break
        }
        headers = []
        kind = nil
        value = []
    }

    private func classify() -> Kind {
        if let kind { return kind }
        let decided = decide()
        kind = decided
        return decided
    }

    private func decide() -> Kind {
        guard let disposition = headers.last(where: { $0.0.lowercased() == "content-disposition" })
                .flatMap({ HeaderParameters($0.1) }),
              let name = disposition.value("name"), !name.isEmpty
        else {
            fail(.malformedPOSTRequest)
            return .ignored
        }
        let isFile = disposition.type == "form-data" && name.lowercased() == "file"
        switch phase {
        case .fields where isFile:
            phase = .file
            fileCount = 1
            filename = disposition.value("filename")
            fileContentType = headers.last(where: { $0.0.lowercased() == "content-type" })?.1
            return .file
        case .fields:
            return .field(name)
        case .file, .trailing:
            if isFile { fileCount += 1 }
            return .ignored
        }
    }

    private func fail(_ error: PostObjectError) {
        if self.error == nil { self.error = error }
    }
}
