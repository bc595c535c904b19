import FrontDoors
import Foundation
import HTTPDates
import LockstepTestSupport
import Testing

/// The HTTP date forms requests carry (`If-Modified-Since` and friends), parsed by hand: every form RFC 9110 allows,
/// ISO 8601, and nothing else — whatever the bytes.
@Suite("HTTP dates")
struct HTTPDateTests {
    static let example: Int64 = 784_111_777_000  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                      "1994-11-06T08:49:37Z", "1994-11-06T08:49:37.000Z", "1994-11-06T09:49:37+01:00",
                      "Sun, 06 Nov 1994 08:49:37 -0000", "Sun, 06 Nov 1994 08:49:37 +0000", "Sun, 06 Nov 1994 00:49:37 -0800",
                      "Sun, 06 Nov 1994 10:19:37 +0130", "Sun, 06 Nov 1994 08:49:37 UTC"])
    func everyFormParses(_ text: String) {
        #expect(HTTPDate.parse(text) == Self.example)
    }

    /// Conditional requests read the same forms: a numeric zone in `If-Modified-Since` is honoured.
    @Test func conditionalGetReadsNumericZones() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("dates")
        #expect(await s3.put("dates", "k", [1]).status == 200)
        let stored = try #require(await s3.head("dates", "k").header("Last-Modified").flatMap(HTTPDate.parse))
        let later = HTTPDate.format(stored + 3_600_000).replacingOccurrences(of: " GMT", with: " -0000")
        #expect(await s3.get("dates", "k", headers: [("If-Modified-Since", later)]).status == 304)
        let earlierInAnotherZone = HTTPDate.format(stored - 3_600_000 + 2 * 3_600_000).replacingOccurrences(of: " GMT", with: " +0200")
        #expect(await s3.get("dates", "k", headers: [("If-Modified-Since", earlierInAnotherZone)]).status == 200)
    }

    @Test func formattingRoundTrips() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse(HTTPDate.format(1_740_830_400_000)) == 1_740_830_400_000)
    }

    /// The first is the input that made Foundation's DateFormatter trap (a fuzzing find), stopping the server.
    @Test(arguments: ["Sun, 11\u{5B1}ov 1994 08:4?:37 \0\0\0\0\0\0\0GMT", "", "GMT", "Sun, 30 Feb 1994 08:49:37 GMT",
                      "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, +6 Nov 1994 08:49:37 GMT",
                      "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nvv 1994 08:49:37 GMT", "1994-13-01", "1994-11-06T08:49",
                      "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov  6 08:49:37", "Sun, 06 Nov 1994 08:49:37 +2400",
                      "Sun, 06 Nov 1994 08:49:37 +0060", "Sun, 06 Nov 1994 08:49:37 0000", "Sun, 06 Nov 1994 08:49:37 +00:00"])
    func anythingElseIsNil(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
