import Foundation
import FrontDoors
import LockstepCrypto

/// A signed-in console user: who, and the token every state-changing form must carry.
struct ConsoleSession: Sendable {
    let id: String
    let identity: Identity
    let csrfToken: String
    let expiresMillis: Int64
    /// The address of the request being answered (not kept with the session): policies on `aws:SourceIp` apply to
    /// what the console reads and does for it.
    var remoteAddress: String?
}

/// Console sessions, in memory: a restart signs everyone out, which for a local tool is the right trade for never
/// writing session secrets to disk. Times are real time, not the store clock — moving the store clock forward a month
/// must not sign the user out.
final class ConsoleSessions: @unchecked Sendable {
    // Unchecked: `sessions` is only touched under `lock`.
    private let lock = NSLock()
    private var sessions: [String: ConsoleSession] = [:]
    let lifetimeSeconds: Int64
    /// Sign-ins beyond this drop the sessions closest to expiry, so repeated sign-ins cannot grow memory without bound.
    let capacity: Int

    init(lifetimeSeconds: Int64 = 3600, capacity: Int = 10_000) {
        self.lifetimeSeconds = lifetimeSeconds
        self.capacity = capacity
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func create(for identity: Identity) -> ConsoleSession {
        let session = ConsoleSession(id: secureRandomBytes(32).hexString, identity: identity, csrfToken: secureRandomBytes(32).hexString,
                                     expiresMillis: Self.nowMillis() + lifetimeSeconds * 1000)
        lock.withLock {
            if sessions.count >= capacity {
                let now = Self.nowMillis()
                sessions = sessions.filter { $0.value.expiresMillis > now }
                if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expiresMillis < $1.value.expiresMillis }) {
                    sessions[oldest.key] = nil
                }
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id; an expired one is forgotten.
    func session(id: String) -> ConsoleSession? {
        lock.withLock {
            guard let session = sessions[id] else { return nil }
            if session.expiresMillis <= Self.nowMillis() {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    func end(id: String) {
        lock.withLock { sessions[id] = nil }
    }
}
