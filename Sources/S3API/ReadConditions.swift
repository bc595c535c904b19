import FrontDoors
import HTTPDates
import Store

/// The four HTTP read conditions, evaluated with RFC 7232's precedence as S3 does: If-Match, then If-Unmodified-Since,
/// then If-None-Match, then If-Modified-Since. GET and HEAD take them from the plain headers; CopyObject and
/// UploadPartCopy from `x-amz-copy-source-if-…`, about the source.
struct ReadConditions {
    /// `""` for GET/HEAD, `x-amz-copy-source-` for copies.
    let prefix: String
    let ifMatch: String?
    let ifUnmodifiedSince: String?
    let ifNoneMatch: String?
    let ifModifiedSince: String?

    init(_ c: S3Context, prefix: String = "") {
        self.prefix = prefix
        ifMatch = c.header(prefix + "if-match")
        ifUnmodifiedSince = c.header(prefix + "if-unmodified-since")
        ifNoneMatch = c.header(prefix + "if-none-match")
        ifModifiedSince = c.header(prefix + "if-modified-since")
    }

    enum Outcome: Equatable {
        case proceed
        /// If-Match or If-Unmodified-Since failed (the condition's header name).
        case preconditionFailed(String)
        /// If-None-Match or If-Modified-Since failed: the version is the one the client has.
        case notModified(String)
    }

    /// Compared at whole seconds, as `Last-Modified` is sent.
    func evaluate(_ version: ObjectVersion) -> Outcome {
        let lastModified = version.lastModifiedMillis / 1000 * 1000
        if let ifMatch {
            if !Self.etagList(ifMatch, matches: version.etag) { return .preconditionFailed("If-Match") }
        } else if let text = ifUnmodifiedSince, let date = HTTPDate.parse(text), lastModified > date {
            return .preconditionFailed("If-Unmodified-Since")
        }
        if let ifNoneMatch {
            if Self.etagList(ifNoneMatch, matches: version.etag) { return .notModified("If-None-Match") }
        } else if let text = ifModifiedSince, let date = HTTPDate.parse(text), lastModified <= date {
            return .notModified("If-Modified-Since")
        }
        return .proceed
    }

    /// A copy proceeds only when every condition holds; any failure is 412 naming the copy-source header.
    func requireForCopy(_ version: ObjectVersion) throws {
        switch evaluate(version) {
        case .proceed: return
        case .preconditionFailed(let name), .notModified(let name): throw S3Error.preconditionFailed("x-amz-copy-source-" + name)
        }
    }

    static func etagList(_ header: String, matches etag: String) -> Bool {
        header.split(separator: ",").contains { item in
            let value = ObjectHeaders.unquote(String(item))
            return value == "*" || value == etag
        }
    }
}
