/// One `bytes=` range as a request writes it (`Range`, `x-amz-copy-source-range`), before it meets an object's size.
public enum ByteRangeSpec: Sendable, Equatable {
    /// `bytes=first-last`, or `bytes=first-` (to the end) when `last` is nil.
    case from(first: Int64, last: Int64?)
    /// `bytes=-n`: the last `n` bytes.
    case suffix(Int64)

    /// nil when the text is not exactly one well-formed byte range.
    public init?(_ text: String) {
        let text = text.strippingSpaces()
        guard text.hasPrefix("bytes=") else { return nil }
        let spec = text.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let count = Int64(last), count >= 0 else { return nil }
            self = .suffix(count)
            return
        }
        guard let start = Int64(first), start >= 0 else { return nil }
        if last.isEmpty {
            self = .from(first: start, last: nil)
            return
        }
        guard let end = Int64(last), end >= start else { return nil }
        self = .from(first: start, last: end)
    }

    /// The bytes of an object of `size` this range selects as a GET reads it: an end past the object is cut to the
    /// object; nothing to serve (a start past the end, an empty suffix) is `InvalidRange`.
    func forRead(size: Int64, requested: String) throws -> Range<Int64> {
        switch self {
        case .suffix(let count):
            guard count > 0, size > 0 else { throw S3Error.invalidRange(requested.strippingSpaces(), size: size) }
            return max(0, size - count)..<size
        case .from(let first, let last):
            guard first < size else { throw S3Error.invalidRange(requested.strippingSpaces(), size: size) }
            return first..<(min(last ?? size - 1, size - 1) + 1)
        }
    }
}
