/// The boundary of a POST Object request, from its `Content-Type`.
enum FormBoundary {
    /// The boundary of `multipart/form-data; boundary=…` (quoted or not).
    ///
    /// A request that is not `multipart/form-data` at all (no `Content-Type`, `text/plain`, a urlencoded form) gets
    /// S3's `412 PreconditionFailed`; a form without a usable boundary gets `MalformedPOSTRequest`. A usable boundary is
    /// RFC 2046's: 1 to 70 printable ASCII characters, not ending in a space.
    static func parse(contentType: String?) throws(PostObjectError) -> String {
        guard let contentType, let header = HeaderParameters(contentType) else {
            // A quote left open still names the type; an absent header names none.
            if let contentType, contentType.lowercased().hasPrefix("multipart/form-data") {
                throw .malformedPOSTRequest
            }
            throw .notMultipartFormData
        }
        guard header.type == "multipart/form-data" else { throw .notMultipartFormData }
        guard let boundary = header.value("boundary"), (1...70).contains(boundary.utf8.count),
              boundary.utf8.allSatisfy({ (0x20...0x7E).contains($0) }), boundary.utf8.last != 0x20
        else { throw .malformedPOSTRequest }
        return boundary
    }
}
