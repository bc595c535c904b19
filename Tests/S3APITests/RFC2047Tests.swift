@testable import S3API
import Testing

/// RFC 2047 encoded-words in user metadata: decoded on the way in, non-ASCII encoded on the way out.
@Suite struct RFC2047Tests {
    @Test(arguments: [
        ("=?UTF-8?B?Y2Fmw6k=?=", "café"), ("=?utf-8?q?caf=C3=A9?=", "café"), ("=?ISO-8859-1?Q?caf=E9?=", "café"),
        ("=?UTF-8?Q?a_b?=", "a b"), ("x =?UTF-8?B?w6k=?= y", "x é y"), ("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "éé"),
        ("plain", "plain"), ("=?", "=?"), ("=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="),
        ("=?KOI8-R?B?w6k=?=", "=?KOI8-R?B?w6k=?="), ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="), ("=?UTF-8?B?/w==?=", "=?UTF-8?B?/w==?="),
        ("=?UTF-8?Q?=E?=", "=?UTF-8?Q?=E?="), ("a=?b", "a=?b"),
    ])
    func decodes(_ sent: String, _ stored: String) {
        #expect(RFC2047.decode(sent) == stored)
    }

    @Test func encodesOnlyNonASCII() {
        #expect(RFC2047.encode("plain value") == "plain value")
        #expect(RFC2047.encode("café") == "=?UTF-8?B?Y2Fmw6k=?=")
        #expect(RFC2047.decode(RFC2047.encode("naïve ✓ 日本")) == "naïve ✓ 日本")
    }
}
