import DynamoDBAPI
import Foundation
import FrontDoors
import HTTPTypes
import KeyService
import LockstepCrypto
import NIOCore
import S3API
import Store

/// Lockstep's built-in console at `/_lockstep/console/`: pages that show what the backend is doing — buckets, object
/// versions, Terraform states with their history, diffs and locks, the key hierarchy, the store clock with its
/// lifecycle timeline, and the latest requests. Every page is rendered on the server, every value HTML-escaped, and
/// each page's data is also served as JSON under `/_lockstep/console/api/`. A user signs in with an access key and
/// secret; what they see and do is decided by the same authorization as their S3 requests. See docs/console.md.
public struct ConsoleFrontDoor: FrontDoor {
    public static let prefix = "/_lockstep/console"

    let s3: S3Service
    let clock: any AdvanceableClock
    let schedule: LifecycleSchedule
    let dynamodb: DynamoDBService?
    let recentRequests: RecentRequests
    let rootKeyOrigin: String
    let clockMoved: @Sendable () -> Void
    let sessions: ConsoleSessions
    let stateCache = StateCache()

    public init(s3: S3Service, clock: any AdvanceableClock, schedule: LifecycleSchedule, dynamodb: DynamoDBService?,
                recentRequests: RecentRequests, rootKeyOrigin: String, sessionLifetimeSeconds: Int64 = 3600,
                clockMoved: @escaping @Sendable () -> Void = {}) {
        self.s3 = s3
        self.clock = clock
        self.schedule = schedule
        self.dynamodb = dynamodb
        self.recentRequests = recentRequests
        self.rootKeyOrigin = rootKeyOrigin
        self.clockMoved = clockMoved
        sessions = ConsoleSessions(lifetimeSeconds: sessionLifetimeSeconds)
    }

    public static func handles(_ request: APIRequest) -> Bool {
        request.rawPath == prefix || request.rawPath.hasPrefix(prefix + "/")
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        var response = await route(request)
        ConsoleResponses.secure(&response)
        response.summary = RequestSummary(service: "console", operation: "Console")
        return response
    }

    func route(_ request: APIRequest) async -> APIResponse {
        let path = String(request.rawPath.dropFirst(Self.prefix.count))
        if path.isEmpty { return ConsoleResponses.redirect(to: Self.prefix + "/") }
        if path.hasPrefix("/assets/") {
            guard request.method == .get || request.method == .head, let asset = ConsoleAssets.named(String(path.dropFirst(8))) else {
                return ConsoleResponses.notFound(session: nil)
            }
            return ConsoleResponses.asset(asset)
        }
        if request.method == .post, !Self.isSameOrigin(request) {
            return ConsoleResponses.page(status: .forbidden, title: "Refused", session: nil,
                                         body: "<p class=\"error\">This form was sent from another site; nothing was changed.</p>")
        }
        if path == "/signin" {
            switch request.method {
            case .get: return SignInPage.render(next: QueryParameters(raw: request.rawQuery)["next"], error: nil, status: .ok)
            case .post: return await signIn(request)
            default: return ConsoleResponses.methodNotAllowed()
            }
        }
        var session = currentSession(request)
        session?.remoteAddress = request.remoteAddress
        let isAPI = path.hasPrefix("/api/")
        guard let session else {
            if isAPI { return ConsoleResponses.json(["error": "Unauthorized", "message": "Sign in to the console first."], status: .unauthorized) }
            if request.method == .get {
                let target = request.rawPath + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
                return ConsoleResponses.redirect(to: Self.prefix + "/signin?next=" + HTML.urlComponent(target))
            }
            return ConsoleResponses.page(status: .unauthorized, title: "Signed out", session: nil,
                                         body: "<p class=\"error\">Your session has ended. <a href=\"/_lockstep/console/signin\">Sign in</a> again.</p>")
        }
        if request.method == .post {
            let form = await ConsoleForm.read(request)
            guard let token = form["csrf"], constantTimeEquals(token.utf8, session.csrfToken.utf8) else {
                return ConsoleResponses.page(status: .forbidden, title: "Refused", session: session,
                                             body: "<p class=\"error\">This form was not sent by this console session (missing or wrong CSRF token); nothing was changed.</p>")
            }
            return await post(path: path, form: form, session: session, request: request)
        }
        guard request.method == .get || request.method == .head else { return ConsoleResponses.methodNotAllowed() }
        return await get(path: isAPI ? String(path.dropFirst(4)) : path, api: isAPI, query: QueryParameters(raw: request.rawQuery),
                         session: session)
    }

    func get(path: String, api: Bool, query: QueryParameters, session: ConsoleSession) async -> APIResponse {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch segments.first ?? "" {
        case "", "buckets": return await BucketsPage(console: self, session: session).response(api: api)
        case "keys": return await KeysPage(console: self, session: session).response(api: api)
        case "clock": return await ClockPage(console: self, session: session, notice: query["done"]).response(api: api)
        case "requests": return await RequestsPage(console: self, session: session, bucket: query["bucket"], status: query["status"]).response(api: api)
        case "b" where segments.count >= 2:
            let bucket = percentDecode(segments[1])
            if segments.count >= 4, segments[2] == "state" {
                let key = percentDecode(segments[3...].joined(separator: "/"))
                guard !key.isEmpty else { break }
                return await StatePage(console: self, session: session, bucket: bucket, key: key, from: query["from"], to: query["to"],
                                       notice: query["done"]).response(api: api)
            }
            guard segments.count == 2 else { break }
            return await BucketPage(console: self, session: session, bucket: bucket, keyMarker: query["key-marker"],
                                    versionIdMarker: query["version-id-marker"]).response(api: api)
        default:
            break
        }
        return api ? ConsoleResponses.json(["error": "NotFound", "message": "No console endpoint \(path)"], status: .notFound)
                   : ConsoleResponses.notFound(session: session)
    }

    func post(path: String, form: QueryParameters, session: ConsoleSession, request: APIRequest) async -> APIResponse {
        if path == "/signout" {
            sessions.end(id: session.id)
            var response = ConsoleResponses.redirect(to: Self.prefix + "/signin")
            response.set("Set-Cookie", ConsoleResponses.expiredCookie)
            return response
        }
        if path == "/clock" { return await ClockPage(console: self, session: session, notice: nil).advance(form) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        // A state key is never empty: `/bucket/` would make the page's S3 requests bucket operations.
        if segments.count >= 4, segments[0] == "b", segments[2] == "state", !segments[3...].joined().isEmpty {
            let page = StatePage(console: self, session: session, bucket: percentDecode(segments[1]),
                                 key: percentDecode(segments[3...].joined(separator: "/")), from: nil, to: nil, notice: nil)
            return await page.act(form)
        }
        return ConsoleResponses.notFound(session: session)
    }

    /// A form posted from another site is refused before anything else, sign-in included (no signing a browser into
    /// someone else's session). Browsers send `Origin` with every POST; a request without one is not a browser's.
    static func isSameOrigin(_ request: APIRequest) -> Bool {
        if request.header("sec-fetch-site") == "cross-site" { return false }
        guard let origin = request.header("origin") else { return true }
        guard let host = request.header("host"), origin != "null" else { return false }
        return origin.lowercased() == "http://" + host.lowercased() || origin.lowercased() == "https://" + host.lowercased()
    }

    /// Where sign-in may lead: a console page, never out of the console — no dot segments (browsers resolve them, in
    /// any encoding), no backslashes, no sign-in loop.
    static func isConsolePage(_ target: String) -> Bool {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path.hasPrefix(prefix + "/"), !path.hasPrefix(prefix + "/signin"), !path.contains("\\") else { return false }
        let decoded = percentDecode(path)
        return !decoded.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." }
            && !decoded.contains("\\")
    }

    func currentSession(_ request: APIRequest) -> ConsoleSession? {
        guard let cookies = request.header("cookie") else { return nil }
        for part in cookies.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(ConsoleResponses.cookieName + "=") {
                return sessions.session(id: String(pair.dropFirst(ConsoleResponses.cookieName.count + 1)))
            }
        }
        return nil
    }

    func signIn(_ request: APIRequest) async -> APIResponse {
        let form = await ConsoleForm.read(request)
        let next = form["next"]
        let accessKey = form["accessKey"] ?? "", secretKey = form["secretKey"] ?? ""
        let authenticator = s3.authenticator
        guard !accessKey.isEmpty, authenticator.acceptsBasic(accessKey: accessKey, secretKey: secretKey) else {
            return SignInPage.render(next: next, error: "Wrong access key or secret key.", status: .unauthorized)
        }
        let identity = authenticator.users.identity(forAccessKey: accessKey) ?? Identity(account: .default, userName: nil)
        let session = sessions.create(for: identity)
        let target = next.flatMap { Self.isConsolePage($0) ? $0 : nil }
        var response = ConsoleResponses.redirect(to: target ?? Self.prefix + "/")
        response.set("Set-Cookie", ConsoleResponses.cookie(session.id, maxAge: sessions.lifetimeSeconds))
        return response
    }
}
