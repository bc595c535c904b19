import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import NIOCore
import S3API
import Store

/// Lockstep's own endpoints under `/_lockstep/` — not a valid bucket name, so they never collide with S3 paths.
/// Health and readiness are open; everything else is signed as an S3 request is (SigV4, service `s3`, the server's
/// credentials) and refused with S3's error XML otherwise. Answers are JSON. See docs/admin-api.md.
public struct AdminFrontDoor: FrontDoor {
    public static let prefix = "/_lockstep/"

    let s3: S3Service
    let clock: any AdvanceableClock
    let lifecycle: LifecycleRunner
    /// Called after the clock moves, so background work catches up at once instead of at its next wake.
    let clockMoved: @Sendable () -> Void

    public init(s3: S3Service, clock: any AdvanceableClock, lifecycle: LifecycleRunner, clockMoved: @escaping @Sendable () -> Void = {}) {
        self.s3 = s3
        self.clock = clock
        self.lifecycle = lifecycle
        self.clockMoved = clockMoved
    }

    public static func handles(_ request: APIRequest) -> Bool { request.rawPath.hasPrefix(prefix) }

    public func handle(_ request: APIRequest) async -> APIResponse {
        var response = await answer(request)
        response.summary = RequestSummary(service: "admin", operation: Self.operation(request))
        return response
    }

    /// The endpoint by a short name for metrics and the request log; paths no endpoint serves are one name.
    static func operation(_ request: APIRequest) -> String {
        switch (request.method.rawValue, request.rawPath.dropFirst(prefix.count)) {
        case ("GET", "health"): return "Health"
        case ("GET", "ready"): return "Ready"
        case ("GET", "clock"): return "GetClock"
        case ("POST", "clock"): return "AdvanceClock"
        case ("POST", "lifecycle/run"): return "RunLifecycle"
        case ("POST", "logs/flush"): return "FlushLogs"
        default: return "Unknown"
        }
    }

    func answer(_ request: APIRequest) async -> APIResponse {
        let endpoint = (request.method.rawValue, String(request.rawPath.dropFirst(Self.prefix.count)))
        switch endpoint {
        case ("GET", "health"), ("GET", "ready"):
            // JSON like every other answer here, so probes can check a field rather than match text.
            return Self.json(["status": "ok"])
        case ("GET", "clock"), ("POST", "clock"), ("POST", "lifecycle/run"), ("POST", "logs/flush"):
            if let refusal = s3.refusalUnlessSigned(request) { return refusal }
        default:
            return Self.error(.notFound, "NotFound", "No Lockstep endpoint \(request.method.rawValue) \(request.rawPath)")
        }
        do {
            switch endpoint.1 {
            case "clock":
                if request.method == .post { try advanceClock(request) }
                return Self.json(clockDocument())
            case "logs/flush":
                let result = await s3.flushAccessLogs()
                return Self.json(["delivered": result.delivered.map { ["bucket": $0.bucket, "key": $0.key] }, "pending": result.pending])
            default:
                let result = try await lifecycle.runPass()
                return Self.json(["expired": result.expired, "noncurrentExpired": result.noncurrentExpired,
                                  "deleteMarkersRemoved": result.deleteMarkersRemoved, "transitioned": result.transitioned,
                                  "uploadsAborted": result.uploadsAborted])
            }
        } catch let error as AdminError {
            return Self.error(.badRequest, "InvalidArgument", error.message)
        } catch {
            return Self.error(.internalServerError, "InternalError", "\(error)")
        }
    }

    struct AdminError: Error { let message: String }

    /// `POST /_lockstep/clock?advance=SECONDS`: a non-negative number of seconds (fractions allowed).
    func advanceClock(_ request: APIRequest) throws {
        let parameters = request.rawQuery.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        guard let advance = parameters.first(where: { $0.first == "advance" }), advance.count == 2 else {
            throw AdminError(message: "POST /_lockstep/clock needs ?advance=SECONDS")
        }
        guard let seconds = Double(advance[1]), clock.canAdvance(bySeconds: seconds) else {
            throw AdminError(message: "advance must be a non-negative number of seconds within 10,000 years, not \"\(advance[1])\"")
        }
        try clock.advance(bySeconds: seconds)
        clockMoved()
    }

    func clockDocument() -> [String: Any] {
        ["now": ISO8601Date.format(clock.nowMillis()), "offsetSeconds": Double(clock.offsetMillis) / 1000,
         "daySeconds": Double(lifecycle.schedule.dayMillis) / 1000]
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> APIResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var response = APIResponse(status: status, body: .bytes(ByteBuffer(bytes: Array(data) + [10])))
        response.set("Content-Type", "application/json")
        response.set("Server", "Lockstep")
        return response
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> APIResponse {
        json(["error": code, "message": message], status: status)
    }
}
