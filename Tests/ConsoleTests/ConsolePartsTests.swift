@testable import Console
import FrontDoors
import Testing

@Suite struct ConsolePartsTests {
    @Test func escapingCoversMarkupAndAttributes() {
        #expect(HTML.escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;")
        #expect(HTML.escape("a\"b'c&d") == "a&quot;b&#39;c&amp;d")
        #expect(HTML.escape("état/ключ") == "état/ключ")
    }

    @Test func linksEncodeEverythingButUnreservedCharacters() {
        #expect(HTML.urlComponent("a b/c?d&e#f\"") == "a%20b%2Fc%3Fd%26e%23f%22")
        #expect(HTML.urlComponent("é") == "%C3%A9")
        #expect(HTML.keyPath("env:/dev/<x>.tfstate") == "env%3A/dev/%3Cx%3E.tfstate")
        #expect(HTML.keyPath("a//b") == "a//b")
    }

    @Test func sessionsExpireAndEnd() {
        let sessions = ConsoleSessions(lifetimeSeconds: 0)
        let expired = sessions.create(for: Identity(account: .default, userName: nil))
        #expect(sessions.session(id: expired.id) == nil)
        let live = ConsoleSessions(lifetimeSeconds: 60)
        let session = live.create(for: Identity(account: .default, userName: "alice"))
        #expect(live.session(id: session.id)?.identity.userName == "alice")
        #expect(session.id.count == 64 && session.csrfToken.count == 64 && session.id != session.csrfToken)
        live.end(id: session.id)
        #expect(live.session(id: session.id) == nil)
    }

    @Test func sessionsStayBounded() {
        let sessions = ConsoleSessions(lifetimeSeconds: 60, capacity: 3)
        let ids = (0..<5).map { _ in sessions.create(for: Identity(account: .default, userName: nil)).id }
        #expect(ids.filter { sessions.session(id: $0) != nil }.count == 3)
        #expect(sessions.session(id: ids.last!) != nil)
    }

    @Test func durations() {
        #expect(ClockPage.parseDuration("30d") == 2_592_000)
        #expect(ClockPage.parseDuration(" 12h ") == 43_200)
        #expect(ClockPage.parseDuration("1.5m") == 90)
        #expect(ClockPage.parseDuration("90") == 90)
        #expect(ClockPage.parseDuration("-1d") == nil)
        #expect(ClockPage.parseDuration("soon") == nil)
        #expect(ClockPage.parseDuration("infd") == nil)
    }

    @Test func statusFilters() {
        #expect(RequestsPage.matches(404, "4xx") && !RequestsPage.matches(200, "4xx"))
        #expect(RequestsPage.matches(412, "error") && RequestsPage.matches(503, "error") && !RequestsPage.matches(304, "error"))
        #expect(RequestsPage.matches(412, "412") && !RequestsPage.matches(409, "412"))
    }

    @Test func recentRequestsKeepTheNewest() {
        let recent = RecentRequests(capacity: 3)
        for status in 1...5 {
            recent.record(RequestEvent(receivedMillis: Int64(status), method: "GET", path: "/", status: status, latencyNanos: 0,
                                       bytesIn: 0, bytesOut: 0, summary: nil))
        }
        #expect(recent.snapshot().map(\.status) == [3, 4, 5])
    }
}

@Suite struct ConsoleRedirectAndNoticeTests {
    @Test func signInLeadsOnlyToConsolePages() {
        #expect(ConsoleFrontDoor.isConsolePage("/_lockstep/console/b/x/state/a//b.tfstate?from=1&to=2"))
        #expect(ConsoleFrontDoor.isConsolePage("/_lockstep/console/keys"))
        for hostile in ["/_lockstep/console/../../bucket/evil.html", "/_lockstep/console/%2e%2e/evil", "/_lockstep/console/./x",
                        "/_lockstep/console/signin", "//evil.example/", "/_lockstep/consolex", "/_lockstep/console/a\\..\\b",
                        "https://evil.example/_lockstep/console/"] {
            #expect(!ConsoleFrontDoor.isConsolePage(hostile), "\(hostile)")
        }
    }

    @Test func noticesAreFixedSentences() {
        #expect(Notice.text("unlocked") == "Lock released.")
        #expect(Notice.text("restore-refused:AccessDenied") == "Not restored: AccessDenied.")
        #expect(Notice.text(Notice(code: "restored", detail: "AAAAAAAAAAK_R5Debn9TQXacuLxp1uXm").query)
                == "Version AAAAAAAAAAK_R5Debn9TQXacuLxp1uXm restored as the current state.")
        #expect(Notice.text("Your account is suspended") == nil)
        #expect(Notice.text("restore-refused:<script>") == nil)
        #expect(Notice.text("unlocked:extra") == nil)
        #expect(Notice(code: "x", detail: String(repeating: "a", count: 65)).detail == nil)
    }
}
