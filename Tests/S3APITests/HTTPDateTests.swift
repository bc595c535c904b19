import FrontDoors
import Foundation
import Testing

/// The HTTP date forms requests carry (`If-Modified-Since` and friends), parsed by hand: every form RFC 9110 allows,
/// ISO 8601, and nothing else — whatever the bytes.
@Suite("HTTP dates")
struct HTTPDateTests {
    static let example: Int64 = 784_111_777_000  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                      "1994-11-06T08:49:37Z", "1994-11-06T08:49:37.000Z", "1994-11-06T09:49:37+01:00"])
    func everyFormParses(_ text: String) {
        #expect(HTTPDate.parse(text) == Self.example)
    }

    @Test func formattingRoundTrips() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse(HTTPDate.format(1_740_830_400_000)) == 1_740_830_400_000)
    }

    /// The first is the input that made Foundation's DateFormatter trap (a fuzzing find), stopping the server.
    @Test(arguments: ["Sun, 11\u{5B1}ov 1994 08:4?:37 \0\0\0\0\0\0\0GMT", "", "GMT", "Sun, 30 Feb 1994 08:49:37 GMT",
                      "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, +6 Nov 1994 08:49:37 GMT",
                      "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nvv 1994 08:49:37 GMT", "1994-13-01", "1994-11-06T08:49",
                      "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov  6 08:49:37"])
    func anythingElseIsNil(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
