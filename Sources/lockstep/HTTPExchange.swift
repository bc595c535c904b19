#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request and its whole response over a fresh connection: all the CLI's server commands need.
/// Written on SwiftNIO rather than URLSession because FoundationNetworking would link libcurl and some thirty shared
/// libraries into the server binary, each one paid for at every start and in resident memory.
enum HTTPExchange {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `host` is a name or an address (an IPv6 address without brackets); `headers` go out as given after Host.
    static func perform(
        host: String, port: Int, method: String, target: String, headers: [(String, String)], body: [UInt8],
        timeout: Duration
    ) async throws -> (status: Int, body: [UInt8]) {
        try await withThrowingTaskGroup(of: (status: Int, body: [UInt8]).self) { group in
            group.addTask {
                do {
                    return try await exchange(host: host, port: port, method: method, target: target, headers: headers, body: body)
                } catch let error as NIOConnectionError {
                    let reasons = error.connectionErrors.compactMap { ($0.error as? IOError).map { String(cString: strerror($0.errnoCode)) } }
                    throw Failure(description: reasons.first.map { "cannot connect: \($0.lowercased())" } ?? "cannot connect")
                } catch let error as IOError {
                    throw Failure(description: String(cString: strerror(error.errnoCode)).lowercased())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() else { throw Failure(description: "no answer") }
            return answer
        }
    }

    private static func exchange(
        host: String, port: Int, method: String, target: String, headers: [(String, String)], body: [UInt8]
    ) async throws -> (status: Int, body: [UInt8]) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
            head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            head.headers.add(name: "Content-Length", value: String(body.count))
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))

            var status = 0
            var received: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body(let buffer): received.append(contentsOf: buffer.readableBytesView)
                case .end: return (status, received)
                }
            }
            throw Failure(description: "the connection closed before the answer was complete")
        }
    }
}
