#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
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

    typealias Answer = (status: Int, body: [UInt8])

    /// `host` is a name or an address (an IPv6 address without brackets); `headers` go out as given after Host.
    /// Answers or fails within `timeout`, connecting included.
    static func perform(
        host: String, port: Int, method: String, target: String, headers: [(String, String)], body: [UInt8],
        timeout: Duration
    ) async throws -> Answer {
        let connectTimeout = connectTimeout(within: timeout)
        let work = Task { () throws -> Answer in
            do {
                return try await exchange(host: host, port: port, method: method, target: target, headers: headers, body: body,
                                          connectTimeout: connectTimeout)
            } catch let error as NIOConnectionError {
                let reasons = error.connectionErrors.compactMap { ($0.error as? IOError).map { String(cString: strerror($0.errnoCode)) } }
                throw Failure(description: reasons.first.map { "cannot connect: \($0.lowercased())" } ?? "cannot connect")
            } catch let error as IOError {
                throw Failure(description: String(cString: strerror(error.errnoCode)).lowercased())
            }
        }
        // Not a task group: it waits for every child, and NIO's connect ignores cancellation, so a pending connect would
        // hold the answer past the deadline. Whichever comes first answers; the other is left to end on its own.
        let first = FirstResult<Answer>()
        return try await withCheckedThrowingContinuation { continuation in
            first.waiting(continuation)
            let timer = Task {
                try await Task.sleep(for: timeout)
                first.resume(.failure(Failure(description: "no answer within \(timeout)")))
                work.cancel()
            }
            Task {
                let result = await work.result
                timer.cancel()
                first.resume(result)
            }
        }
    }

    /// The connect's own timeout: never longer than the whole exchange's.
    static func connectTimeout(within timeout: Duration) -> TimeAmount {
        let (seconds, attoseconds) = timeout.components
        guard seconds < Int64.max / 1_000_000_000 else { return .nanoseconds(.max) }
        return .nanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }

    private static func exchange(
        host: String, port: Int, method: String, target: String, headers: [(String, String)], body: [UInt8], connectTimeout: TimeAmount
    ) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
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

/// Resumes a continuation with the first result it is given and ignores the rest.
private final class FirstResult<Value: Sendable>: @unchecked Sendable {
    // Unchecked: `continuation` is only touched under `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?

    /// Called before anything can resume.
    func waiting(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.withLock { self.continuation = continuation }
    }

    func resume(_ result: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Value, any Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}
