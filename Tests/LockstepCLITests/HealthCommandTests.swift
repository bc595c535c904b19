import NIOCore
import Testing
@testable import lockstep

/// `lockstep health`: where it connects and how long it may take.
@Suite("Health command")
struct HealthCommandTests {
    @Test func theConnectTimeoutIsNeverLongerThanTheWholeExchange() {
        // It was a fixed 10 s: NIO's connect ignores cancellation, so a 5 s check could take 10 s.
        #expect(HTTPExchange.connectTimeout(within: .seconds(5)) == .seconds(5))
        #expect(HTTPExchange.connectTimeout(within: .milliseconds(1500)) == .milliseconds(1500))
        #expect(HTTPExchange.connectTimeout(within: .zero) == .zero)
    }

    @Test func theWildcardInAnySpellingIsReachedOverLoopback() {
        #expect(Health.connectableHost("0.0.0.0") == "127.0.0.1")
        #expect(Health.connectableHost("::") == "::1")
        #expect(Health.connectableHost("0:0:0:0:0:0:0:0") == "::1")
        #expect(Health.connectableHost("::0") == "::1")
        #expect(Health.connectableHost("127.0.0.1") == "127.0.0.1")
        #expect(Health.connectableHost("::1") == "::1")
        #expect(Health.connectableHost("lockstep.internal") == "lockstep.internal")
    }

    @Test func aPortOutOfRangeIsAUsageError() throws {
        #expect(throws: (any Error).self) { try Health.parse(["--port", "0"]) }
        #expect(throws: (any Error).self) { try Health.parse(["--port", "65536"]) }
        #expect(try Health.parse(["--port", "65535"]).port == 65535)
    }
}
