import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import LockstepCrypto
import Logging
import NIOCore
import S3API
import Store

/// Terraform's `http` backend at `/_lockstep/tfstate/<bucket>/<key…>`, authenticated with HTTP Basic (an access key id
/// and its secret). The state is the S3 object `<key>` and the lock the object `<key>.tflock`, written with
/// `If-None-Match: *` exactly as the s3 backend's `use_lockfile` writes it, so the two backends exclude each other.
///
/// GET/POST/DELETE the state; LOCK/UNLOCK (or POST/DELETE with `?lock`) the lock. A held lock answers 423 with the
/// holder's lock info, which Terraform prints. See docs/terraform.md.
public struct HTTPBackendFrontDoor: FrontDoor {
    let s3: S3Service
    let authenticator: Authenticator
    let logger: Logger

    /// Terraform states are JSON documents; larger bodies than this are refused rather than held in memory.
    static let bodyLimit = 64 << 20

    public init(s3: S3Service, authenticator: Authenticator, logger: Logger) {
        self.s3 = s3
        self.authenticator = authenticator
        self.logger = logger
    }

    public static func handles(_ request: APIRequest) -> Bool { request.rawPath.hasPrefix(StatePath.prefix) }

    public func handle(_ request: APIRequest) async -> APIResponse {
        var response: APIResponse
        // `ID=<lock id>` on writes, `lock` on the POST/DELETE lock alternatives.
        let query = QueryParameters(raw: request.rawQuery)
        let lockRequest = query.has("lock")
        var summary = RequestSummary(service: "tfstate", operation: Self.operation(request.method.rawValue, lockRequest: lockRequest))
        // Whether a LOCK took the lock or an UNLOCK released one: a 200 alone does not say.
        var changedHands = false
        do {
            let identity = try authenticate(request)
            summary.requester = identity.arn
            guard let path = StatePath(rawPath: request.rawPath) else {
                throw BackendError(.badRequest, "A state path is /_lockstep/tfstate/<bucket>/<key>, without empty, '.' or '..' segments.")
            }
            summary.bucket = path.bucket
            summary.key = path.key
            // The user needs what the same work through S3 would need: the state read, written or deleted, the lock
            // object written (LOCK) or deleted (UNLOCK).
            let access: (WholeObjectAccess, String)
            switch (request.method.rawValue, lockRequest) {
            case ("GET", false): access = (.read, path.key)
            case ("POST", false), ("PUT", false): access = (.write, path.key)
            case ("DELETE", false): access = (.delete, path.key)
            case ("LOCK", _), ("POST", true), ("PUT", true): access = (.write, path.lockKey)
            default: access = (.delete, path.lockKey)
            }
            try await s3.authorizeWholeObject(request, requester: identity, access.0, bucket: path.bucket, key: access.1)
            switch (request.method.rawValue, lockRequest) {
            case ("GET", false): response = try await readState(path)
            case ("POST", false), ("PUT", false): response = try await writeState(path, body: try await readBody(request), lockId: query["ID"])
            case ("DELETE", false): response = try await deleteState(path, lockId: query["ID"])
            case ("LOCK", _), ("POST", true), ("PUT", true):
                changedHands = try await lock(path, info: try await readBody(request))
                response = APIResponse(status: .ok)
            case ("UNLOCK", _), ("DELETE", true):
                changedHands = try await unlock(path, body: try await readBody(request))
                response = APIResponse(status: .ok)
            default:
                throw BackendError(.methodNotAllowed, "\(request.method.rawValue) is not a method of the Terraform http backend.")
            }
        } catch let error as BackendError {
            response = error.response
        } catch StoreError.noSuchBucket(let bucket) {
            response = BackendError(.notFound, "The bucket \(bucket) does not exist.").response
            summary.errorCode = S3ErrorCode.noSuchBucket.rawValue
        } catch let error as S3Error {
            response = BackendError(error.status, error.message).response
            summary.errorCode = error.code.rawValue
        } catch is BodyReadError {
            response = BackendError(.badRequest, "The request body ended early or was not well framed.").response
        } catch {
            logger.error("http backend request failed: \(error)")
            response = BackendError(.internalServerError, "\(error)").response
        }
        if response.status.kind != .successful, summary.errorCode == nil { summary.errorCode = Self.errorCode(response.status) }
        summary.lock = Self.lockEvent(summary.operation, status: response.status, changedHands: changedHands)
        response.summary = summary
        response.set("Server", "Lockstep")
        response.set("Date", HTTPDate.format(authenticator.nowMillis()))
        return response
    }

    // MARK: Summary

    static func operation(_ method: String, lockRequest: Bool) -> String {
        switch (method, lockRequest) {
        case ("GET", false): return "GetState"
        case ("POST", false), ("PUT", false): return "UpdateState"
        case ("DELETE", false): return "DeleteState"
        case ("LOCK", _), ("POST", true), ("PUT", true): return "Lock"
        case ("UNLOCK", _), ("DELETE", true): return "Unlock"
        default: return "Unknown"
        }
    }

    /// LOCK: 200 took it (not the holder's repeated LOCK), 423 (held by another) or 409 refused it; UNLOCK: 200 released
    /// it (not when no lock was held).
    static func lockEvent(_ operation: String, status: HTTPResponse.Status, changedHands: Bool) -> RequestSummary.LockEvent? {
        switch (operation, status.code) {
        case ("Lock", 200): return changedHands ? .init(path: .http, outcome: .acquired) : nil
        case ("Lock", 423), ("Lock", 409): return .init(path: .http, outcome: .refused)
        case ("Unlock", 200): return changedHands ? .init(path: .http, outcome: .released) : nil
        default: return nil
        }
    }

    /// The backend answers in plain HTTP; its status names the failure (`Locked`, `Conflict`, `Unauthorized`).
    static func errorCode(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 409: return "Conflict"
        case 413: return "ContentTooLarge"
        case 423: return "Locked"
        default: return status.code >= 500 ? "InternalError" : "HTTP\(status.code)"
        }
    }

    // MARK: State

    func readState(_ path: StatePath) async throws -> APIResponse {
        guard let state = try await s3.readWholeObject(bucket: path.bucket, key: path.key) else {
            throw BackendError(.notFound, "No state at \(path.bucket)/\(path.key).")
        }
        var response = APIResponse(status: .ok)
        response.set("Content-Type", "application/json")
        response.set("Content-MD5", Base64.encode(Digest.md5(state.bytes)))
        response.body = .bytes(ByteBuffer(bytes: state.bytes))
        return response
    }

    /// Stores the state. While a lock is held, only its holder may write, naming the lock's ID (`?ID=`).
    func writeState(_ path: StatePath, body: [UInt8], lockId: String?) async throws -> APIResponse {
        try await requireWritable(path, lockId: lockId)
        _ = try await s3.writeWholeObject(bucket: path.bucket, key: path.key, body: body, contentType: "application/json")
        return APIResponse(status: .ok)
    }

    func deleteState(_ path: StatePath, lockId: String?) async throws -> APIResponse {
        try await requireWritable(path, lockId: lockId)
        _ = try await s3.deleteWholeObject(bucket: path.bucket, key: path.key)
        return APIResponse(status: .ok)
    }

    /// 423 when another holds the lock and no ID is given; 409 when the ID is not the holder's (or nothing is locked).
    private func requireWritable(_ path: StatePath, lockId: String?) async throws {
        let held = try await s3.readWholeObject(bucket: path.bucket, key: path.lockKey)
        switch (held, lockId) {
        case (nil, nil):
            return
        case (nil, let id?):
            throw BackendError(.conflict, "The state is not locked; lock \(id) is not held.")
        case (let lock?, nil):
            throw BackendError.locked(lock.bytes)
        case (let lock?, let id?):
            guard LockInfo.id(of: lock.bytes) == id else { throw BackendError.conflicting(lock.bytes) }
        }
    }

    // MARK: Lock

    /// Writes the lock info as `<key>.tflock` if no lock is there; otherwise 423 with the holder's info. A repeated
    /// LOCK with the holder's own ID succeeds, as Terraform's retries expect. Returns whether this call took the lock
    /// (false for the holder's repeat).
    func lock(_ path: StatePath, info: [UInt8]) async throws -> Bool {
        guard let id = LockInfo.id(of: info) else {
            throw BackendError(.badRequest, "A lock request's body is Terraform's lock info JSON, with its \"ID\".")
        }
        for _ in 0..<Self.lockAttempts {
            if try await s3.writeWholeObject(bucket: path.bucket, key: path.lockKey, body: info, contentType: "application/json", ifAbsent: true) {
                return true
            }
            // Held: report the holder. If it was released in between, try again.
            guard let held = try await s3.readWholeObject(bucket: path.bucket, key: path.lockKey) else { continue }
            if LockInfo.id(of: held.bytes) == id { return false }
            throw BackendError.locked(held.bytes)
        }
        throw BackendError(.conflict, "The lock was taken and released \(Self.lockAttempts) times while this request tried to take it; try again.")
    }

    /// How often a LOCK retries when the lock it found gone is taken again before it can write its own.
    static let lockAttempts = 16

    /// Releases the lock. The body names the lock (Terraform sends the info it locked with; `{"ID": …}` is enough): a
    /// different ID is 409 and the lock stays. An empty body is Terraform's `force-unlock`, which knows the ID only
    /// from its command line and does not send it (hashicorp/terraform#28421): it releases whatever lock is held.
    /// Returns whether this call released a lock (false when none was held, or another released it first).
    func unlock(_ path: StatePath, body: [UInt8]) async throws -> Bool {
        let force = body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let id = force ? nil : LockInfo.id(of: body)
        if !force && id == nil {
            throw BackendError(.badRequest, "An unlock request's body is Terraform's lock info JSON (or {\"ID\": \"…\"}), or empty to force.")
        }
        guard let held = try await s3.readWholeObject(bucket: path.bucket, key: path.lockKey) else { return false }
        if let id, LockInfo.id(of: held.bytes) != id { throw BackendError.conflicting(held.bytes) }
        // Only the lock that was read: a new holder that locked meanwhile keeps its lock.
        if try await !s3.deleteWholeObject(bucket: path.bucket, key: path.lockKey, ifETag: held.etag) {
            if let now = try await s3.readWholeObject(bucket: path.bucket, key: path.lockKey) { throw BackendError.conflicting(now.bytes) }
            return false
        }
        return true
    }

    // MARK: Request

    /// Basic credentials: none → 401 with a challenge; wrong → 403 (Terraform prints "HTTP remote state endpoint
    /// requires auth" and "invalid auth" for these).
    private func authenticate(_ request: APIRequest) throws(BackendError) -> Identity {
        guard BasicCredentials.present(in: request) else {
            var error = BackendError(.unauthorized, "The Terraform http backend needs username (an access key id) and password (its secret).")
            error.headers = [("WWW-Authenticate", "Basic realm=\"Lockstep\"")]
            throw error
        }
        guard let credentials = BasicCredentials(request),
              authenticator.acceptsBasic(accessKey: credentials.accessKey, secretKey: credentials.secretKey) else {
            throw BackendError(.forbidden, "The access key id or its secret is not right.")
        }
        return authenticator.users.identity(forAccessKey: credentials.accessKey) ?? Identity(account: .default, userName: nil)
    }

    private func readBody(_ request: APIRequest) async throws -> [UInt8] {
        guard let body = try await request.body.collect(limit: Self.bodyLimit) else {
            throw BackendError(.contentTooLarge, "The request body is larger than \(Self.bodyLimit >> 20) MiB.")
        }
        if let md5 = request.header("content-md5"), Base64.decode(md5) != Digest.md5(body) {
            throw BackendError(.badRequest, "The Content-MD5 does not match the body.")
        }
        return body
    }
}

/// Terraform's lock info JSON (`statemgr.LockInfo`); only its `ID` matters here.
enum LockInfo {
    static func id(of json: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        return object["ID"] as? String
    }
}

/// An answer other than success: a status and a plain-text reason, or (409, 423) the holder's lock info JSON.
struct BackendError: Error {
    let status: HTTPResponse.Status
    let body: [UInt8]
    let contentType: String
    var headers: [(String, String)] = []

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        body = Array((message + "\n").utf8)
        contentType = "text/plain; charset=utf-8"
    }

    private init(status: HTTPResponse.Status, lockInfo: [UInt8]) {
        self.status = status
        body = lockInfo
        contentType = "application/json"
    }

    static func locked(_ holder: [UInt8]) -> BackendError { BackendError(status: HTTPResponse.Status(code: 423, reasonPhrase: "Locked"), lockInfo: holder) }
    static func conflicting(_ holder: [UInt8]) -> BackendError { BackendError(status: .conflict, lockInfo: holder) }

    var response: APIResponse {
        var response = APIResponse(status: status)
        response.set("Content-Type", contentType)
        for (name, value) in headers { response.set(name, value) }
        response.body = .bytes(ByteBuffer(bytes: body))
        return response
    }
}
