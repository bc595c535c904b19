/// How the request body is covered by the signature, from `x-amz-content-sha256`.
public enum PayloadMode: Equatable, Sendable {
    /// A hex SHA-256 the body must match (checked by the caller while streaming).
    case signed(sha256Hex: String)
    /// `UNSIGNED-PAYLOAD`
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked body with chunk signatures.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: chunk signatures plus a signed trailer.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain aws-chunked body with a trailer.
    case streamingUnsignedTrailer

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let streamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    public static let streamingSignedTrailerPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    public static let streamingUnsignedTrailerPayload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    /// Parses an `x-amz-content-sha256` value; nil when it is neither a SHA-256 hex digest nor a known keyword.
    public init?(contentSHA256 value: String) {
        switch value {
        case PayloadMode.unsignedPayload: self = .unsigned
        case PayloadMode.streamingSignedPayload: self = .streamingSigned
        case PayloadMode.streamingSignedTrailerPayload: self = .streamingSignedTrailer
        case PayloadMode.streamingUnsignedTrailerPayload: self = .streamingUnsignedTrailer
        default:
            guard value.utf8.count == 64, value.utf8.allSatisfy(isHexDigit) else { return nil }
            self = .signed(sha256Hex: asciiLowercased(value))
        }
    }

    /// The body is aws-chunked encoded.
    public var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: return true
        case .signed, .unsigned: return false
        }
    }

    /// The body ends with a trailer section.
    public var hasTrailer: Bool { self == .streamingSignedTrailer || self == .streamingUnsignedTrailer }
}

func isHexDigit(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
}
