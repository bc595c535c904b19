import NIOCore

/// Follows a multipart body just far enough to know where the parts' header names are, and refuses what
/// MultipartKit 4.7.1's parser cannot survive: a byte of 0x80 or above in a header name indexes past its 128-entry
/// character table and traps, taking the process with it.
///
/// It mirrors the parser's own reading (delimiter, CRLF, `name: value` lines, a blank line, then the body up to the
/// next `CRLF--boundary`) and sees every byte before the parser does. Where the parser would stop with a syntax
/// error the screen stops looking. The body must begin with its first delimiter (a leading CRLF allowed): the
/// parser's preamble matching can find a delimiter the screen would not, so a preamble is refused rather than risked.
struct HeaderNameScreen {
    private enum State {
        /// Matching the first delimiter; the index into `delimiter`.
        case start(Int)
        /// Just after a delimiter.
        case afterDelimiter
        case lineFeed(then: Line)
        /// In a header name of this many bytes.
        case name(Int)
        case value
        /// In a part's content, this much of the next delimiter matched.
        case body(Int)
        /// Past the close delimiter, or where the parser fails anyway.
        case done
    }

    private enum Line { case name, body }

    private let delimiter: [UInt8]
    private var state = State.start(0)

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// false when `buffer` holds a byte the parser would trap on, or the body does not begin with its delimiter.
    mutating func admits(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var i = 0
            while i < bytes.count {
                if case .body(0) = state {
                    // Nothing but a CR can begin a delimiter: skip to the next one.
                    guard let cr = bytes[i...].firstIndex(of: 0x0D) else { return true }
                    i = cr
                }
                guard step(bytes[i]) else { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func step(_ byte: UInt8) -> Bool {
        switch state {
        case .start(let matched):
            let next = matched == 0 && byte == UInt8(ascii: "-") ? 3 : matched + 1  // "--boundary" with no CRLF
            guard byte == delimiter[next - 1] else { return false }
            state = next == delimiter.count ? .afterDelimiter : .start(next)
        case .afterDelimiter:
            state = byte == 0x0D ? .lineFeed(then: .name) : .done  // `--` closes; anything else is the parser's error
        case .lineFeed(let line):
            state = byte != 0x0A ? .done : line == .name ? .name(0) : .body(0)
        case .name(let length):
            if byte >= 0x80 { return false }
            if byte == 0x0D {
                state = length == 0 ? .lineFeed(then: .body) : .done
            } else if byte == UInt8(ascii: ":") {
                state = length > 0 ? .value : .done
            } else {
                state = .name(length + 1)
            }
        case .value:
            if byte == 0x0D { state = .lineFeed(then: .name) }
        case .body(let matched):
            if byte == delimiter[matched] {
                state = matched + 1 == delimiter.count ? .afterDelimiter : .body(matched + 1)
            } else {
                state = .body(byte == 0x0D ? 1 : 0)
            }
        case .done:
            break
        }
        return true
    }
}
