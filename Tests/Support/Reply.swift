import Foundation
import FrontDoors
import HTTPTypes
import LockstepXML
import NIOCore

/// A whole response as a test sees it.
public struct Reply: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let body: [UInt8]
    /// Declared length of a streamed body (nil for fixed bodies).
    public let streamLength: Int64?
    /// Why streaming the body failed, if it did.
    public let streamError: String?

    public init(status: Int, headers: HTTPFields, body: [UInt8], streamLength: Int64? = nil, streamError: String? = nil) {
        self.status = status; self.headers = headers; self.body = body; self.streamLength = streamLength; self.streamError = streamError
    }

    public func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as XML, or nil.
    public var xml: XMLNode? { body.isEmpty ? nil : try? XMLParser.parse(body) }

    /// `<Error><Code>` of an error document.
    public var errorCode: String? {
        guard let root = xml, root.name == "Error" else { return nil }
        return root.value("Code")
    }

    /// Text of a direct child of the error document.
    public func errorField(_ name: String) -> String? {
        guard let root = xml, root.name == "Error" else { return nil }
        return root.value(name)
    }

    /// Collects a front door's response, streaming bodies included.
    public static func collect(_ response: APIResponse) async -> Reply {
        switch response.body {
        case .empty:
            return Reply(status: response.status.code, headers: response.headers, body: [])
        case .bytes(let buffer):
            return Reply(status: response.status.code, headers: response.headers, body: Array(buffer.readableBytesView))
        case .stream(let length, let produce):
            let collector = BodyCollector()
            var failure: String?
            do {
                try await produce(collector)
            } catch {
                failure = "\(error)"
            }
            return Reply(status: response.status.code, headers: response.headers, body: collector.bytes, streamLength: length,
                         streamError: failure)
        }
    }
}

/// Collects a streamed response body.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    // Unchecked: `storage` is only touched under `lock`.
    private let lock = NSLock()
    private var storage: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { append(buffer) }

    private func append(_ buffer: ByteBuffer) {
        lock.withLock { storage += buffer.readableBytesView }
    }

    var bytes: [UInt8] { lock.withLock { storage } }
}

extension XMLNode {
    /// Descends through direct children by name.
    public func at(_ names: String...) -> XMLNode? {
        var node: XMLNode? = self
        for name in names { node = node?.child(name) }
        return node
    }

    /// Texts of `<name>` children of every `<group>` child (e.g. all Contents/Key).
    public func texts(_ group: String, _ name: String) -> [String] {
        all(group).compactMap { $0.value(name) }
    }
}
