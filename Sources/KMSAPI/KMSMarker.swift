import AWSJSON
import LockstepCrypto

/// Opaque list markers: base64 of the last item's sort key, so a page boundary survives deletions in between.
enum KMSMarker {
    static func make(_ position: String) -> String { Base64.encode(Array(position.utf8)) }

    static func position(_ marker: String?) throws(AWSJSONError) -> String? {
        guard let marker else { return nil }
        guard let bytes = Base64.decode(marker), let text = String(validating: bytes, as: UTF8.self) else {
            throw AWSJSONError("InvalidMarkerException", "The marker \(marker) is not valid.")
        }
        return text
    }

    /// One page of `items` (already in marker order) after `marker`, with the next marker when more remain.
    static func page<T>(_ items: [T], marker: String?, limit: Int, position: (T) -> String) throws(AWSJSONError) -> (items: [T], next: String?) {
        var rest = items[...]
        if let after = try Self.position(marker) { rest = rest.drop { position($0) <= after } }
        let page = Array(rest.prefix(limit))
        let next = rest.count > limit ? page.last.map { make(position($0)) } : nil
        return (page, next)
    }

    /// `Truncated` always, `NextMarker` only when there is a next page.
    static func fields(next: String?) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["Truncated": .bool(next != nil)]
        if let next { fields["NextMarker"] = .string(next) }
        return fields
    }
}
