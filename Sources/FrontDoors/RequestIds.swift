import Foundation
import LockstepCrypto

public enum RequestIds {
    private static let prefix = secureRandomBytes(4).hexString.uppercased()
    private static let counter = Counter()

    /// 16 upper-case hex digits like AWS's: a per-process random prefix and a counter (unique, and cheap per request).
    public static func requestId() -> String {
        let hex = String(counter.next(), radix: 16, uppercase: true)
        return prefix + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// What AWS sends as `x-amz-id-2`: an opaque host identifier, fixed for the process.
    public static func hostId() -> String { Base64.encode(secureRandomBytes(48)) }

    private final class Counter: @unchecked Sendable {
        // Unchecked: `value` is only touched under `lock`.
        private let lock = NSLock()
        private var value: UInt32 = 0
        func next() -> UInt32 {
            lock.withLock {
                value &+= 1
                return value
            }
        }
    }
}
