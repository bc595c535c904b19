import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the server under test, for what an HTTP client library hides: interim `100 Continue`
/// responses, the exact order of what the server sends, and whether it closes the connection. Its blocking socket calls
/// run on a dispatch queue, never on the cooperative threads the server under test needs.
final class RawConnection: @unchecked Sendable {
    // Unchecked: each test uses its connection from one task, one call at a time.
    private let fd: Int32
    private var buffered: [UInt8] = []

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) async throws { try await blocking { try self.sendNow(bytes) } }

    func readResponse(head: Bool = false) async throws -> Response { try await blocking { try self.readResponseNow(head: head) } }

    func isClosedByServer() async throws -> Bool { try await blocking { try self.isClosedByServerNow() } }

    /// Hangs up the sending side (as a client that gives up mid-body does), still reading the answer.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; false at end of stream (the server closed), throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: "recv: timed out or failed (\(errno))") }
        buffered += chunk[0..<n]
        return n > 0
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The next response on the connection, interim ones included; the body is read by Content-Length (none after HEAD).
    private func readResponseNow(head: Bool) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            end = buffered.indices.dropLast(3).first { Array(buffered[$0..<($0 + 4)]) == separator }
            if end == nil, try !fill() { throw Failure(description: "connection closed before a response head") }
        }
        let lines = String(decoding: buffered[0..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        buffered.removeFirst(end! + 4)
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = Response(status: status, headers: headers, body: [])
        if status >= 200 && !head, let length = response.header("content-length").flatMap(Int.init) {
            while buffered.count < length {
                if try !fill() { throw Failure(description: "connection closed inside a body") }
            }
            response.body = Array(buffered[0..<length])
            buffered.removeFirst(length)
        }
        return response
    }

    /// Whether the server closes the connection (end of stream) with nothing more sent.
    private func isClosedByServerNow() throws -> Bool {
        if !buffered.isEmpty { return false }
        return try !fill() && buffered.isEmpty
    }
}
