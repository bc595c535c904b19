import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import NIOCore
import S3API

/// How the console answers: pages, JSON, redirects and assets, all with the same security headers.
enum ConsoleResponses {
    static let cookieName = "lockstep_console"

    /// Scripts and styles only from the console itself (no inline code), no frames, forms only to itself.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func secure(_ response: inout APIResponse) {
        response.set("Content-Security-Policy", contentSecurityPolicy)
        response.set("X-Content-Type-Options", "nosniff")
        response.set("X-Frame-Options", "DENY")
        response.set("Referrer-Policy", "same-origin")
        if response.header("Cache-Control") == nil { response.set("Cache-Control", "no-store") }
        response.set("Server", "Lockstep")
    }

    static func cookie(_ id: String, maxAge: Int64) -> String {
        "\(cookieName)=\(id); Path=/_lockstep/console; Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
    }

    static let expiredCookie = "\(cookieName)=; Path=/_lockstep/console; Max-Age=0; HttpOnly; SameSite=Strict"

    static func page(status: HTTPResponse.Status = .ok, title: String, session: ConsoleSession?, active: String = "", body: String) -> APIResponse {
        html(PageLayout(title: title, session: session, active: active).render(body), status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> APIResponse {
        var response = APIResponse(status: status, body: .bytes(ByteBuffer(string: text)))
        response.set("Content-Type", "text/html; charset=utf-8")
        return response
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var response = APIResponse(status: status, body: .bytes(ByteBuffer(bytes: data)))
        response.set("Content-Type", "application/json")
        return response
    }

    static func redirect(to location: String) -> APIResponse {
        var response = APIResponse(status: .seeOther)
        response.set("Location", location)
        return response
    }

    static func asset(_ asset: ConsoleAssets.Asset) -> APIResponse {
        var response = APIResponse(status: .ok, body: .bytes(ByteBuffer(string: asset.text)))
        response.set("Content-Type", asset.contentType)
        response.set("Cache-Control", "no-cache")
        return response
    }

    static func notFound(session: ConsoleSession?) -> APIResponse {
        page(status: .notFound, title: "Not found", session: session, body: "<p class=\"error\">There is no such console page.</p>")
    }

    static func methodNotAllowed() -> APIResponse {
        var response = html("<p>Method not allowed</p>", status: .methodNotAllowed)
        response.set("Allow", "GET, POST")
        return response
    }

    static func time(_ millis: Int64) -> String { ISO8601Date.format(millis) }
}

/// An `application/x-www-form-urlencoded` body, at most 64 KiB (the console's forms are a few fields).
enum ConsoleForm {
    static func read(_ request: APIRequest) async -> QueryParameters {
        guard let bytes = try? await request.body.collect(limit: 64 * 1024) else { return QueryParameters(raw: "") }
        // Browsers encode spaces in forms as `+`.
        return QueryParameters(raw: String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "+", with: "%20"))
    }
}
