import LockstepTestSupport
import NIOCore
@testable import S3API

/// Form bodies written by hand, the ways clients write them, and sources that hand them over in chosen pieces.
enum PostObjectFixtures {
    static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

    struct Part {
        var headers: [(String, String)]
        var body: [UInt8]
    }

    static func field(_ name: String, _ value: String) -> Part {
        Part(headers: [("Content-Disposition", "form-data; name=\"\(name)\"")], body: Array(value.utf8))
    }

    static func file(
        _ data: [UInt8], name: String = "file", filename: String? = "photo.jpg", contentType: String? = "image/jpeg"
    ) -> Part {
        var disposition = "form-data; name=\"\(name)\""
        if let filename { disposition += "; filename=\"\(filename)\"" }
        var headers = [("Content-Disposition", disposition)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        return Part(headers: headers, body: data)
    }

    /// `--boundary CRLF headers CRLF CRLF body CRLF` for each part, then the close delimiter, as browsers send it.
    static func body(_ parts: [Part], boundary: String = boundary, close: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\n".utf8)
            for (name, value) in part.headers { out += Array("\(name): \(value)\r\n".utf8) }
            out += Array("\r\n".utf8)
            out += part.body
            out += Array("\r\n".utf8)
        }
        out += Array((close ?? "--\(boundary)--\r\n").utf8)
        return out
    }

    /// Bytes in which CRLFs, dashes and most of the delimiter recur, but never the whole of it.
    static func awkwardBytes(count: Int, boundary: String = boundary, seed: UInt64 = 7) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let near = Array("\r\n--\(boundary)".utf8).dropLast()  // the delimiter but its last byte
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            switch rng.next() % 8 {
            case 0: out += Array("\r\n".utf8)
            case 1: out += near + [UInt8(ascii: "!")]
            case 2: out += Array("\r\n--".utf8)
            case 3: out.append(0x0D)
            default: out.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return Array(out.prefix(count))
    }

    /// Reads the whole form: its fields, then every file chunk.
    static func readAll(_ reader: PostFormReader) async throws -> (form: PostForm, file: [UInt8]) {
        let form = try await reader.readFields()
        var file: [UInt8] = []
        while let chunk = try await reader.nextFileChunk() { file += chunk.readableBytesView }
        return (form, file)
    }

    static func reader(_ bytes: [UInt8], chunkSize: Int = 4096, boundary: String = boundary) -> (PostFormReader, ChunkFeeder) {
        let feeder = ChunkFeeder(bytes, sizes: { _ in chunkSize })
        return (PostFormReader(boundary: boundary, next: { feeder.next() }), feeder)
    }
}

/// Hands a body over in pieces of the sizes asked for, counting what it gave.
final class ChunkFeeder {
    let bytes: [UInt8]
    private let sizes: (Int) -> Int
    private(set) var offset = 0
    private(set) var calls = 0

    init(_ bytes: [UInt8], sizes: @escaping (Int) -> Int) {
        self.bytes = bytes
        self.sizes = sizes
    }

    func next() -> ByteBuffer? {
        guard offset < bytes.count else { return nil }
        let size = max(1, min(sizes(calls), bytes.count - offset))
        calls += 1
        defer { offset += size }
        return ByteBuffer(bytes: bytes[offset..<(offset + size)])
    }
}
