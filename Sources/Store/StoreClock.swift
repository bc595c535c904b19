import Foundation
import Synchronization

/// The time everything the store records or decides by is measured on: LastModified, upload initiation, lifecycle due
/// dates, retention, restore expiry, key deletion windows. Signatures are checked against the real clock instead, so
/// moving the store clock never breaks signing.
public protocol StoreClock: Sendable {
    func nowMillis() -> Int64
}

/// A store clock that can be moved forward (the admin API's `POST /_lockstep/clock?advance=`).
public protocol AdvanceableClock: StoreClock {
    /// How far ahead of real time the clock runs.
    var offsetMillis: Int64 { get }
    /// Moves the clock forward by `millis` (≥ 0), durably before it takes effect.
    func advance(byMillis millis: Int64) throws
}

extension AdvanceableClock {
    /// Whether the clock can move `seconds` forward: a finite, non-negative amount within the clock's range.
    public func canAdvance(bySeconds seconds: Double) -> Bool {
        seconds.isFinite && seconds >= 0 && seconds * 1000 <= Double(OffsetClock.maximumOffsetMillis - offsetMillis)
    }

    /// Moves the clock forward by `seconds` (fractions allowed, to the millisecond); check `canAdvance` first.
    public func advance(bySeconds seconds: Double) throws {
        try advance(byMillis: Int64((seconds * 1000).rounded()))
    }
}

/// How long to move the store clock, as people write it: `30d` → 2592000 seconds; `1.5h`, `90m`, `45s`, `45`.
/// Every way to move the clock (the CLI, the console) reads durations here.
public func clockDurationSeconds(_ text: String) -> Double? {
    let units: [Character: Double] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
    var number = Substring(text), unit = 1.0
    if let last = text.last, let scale = units[last] {
        number = text.dropLast()
        unit = scale
    }
    guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
    return value * unit
}

public struct WallClock: StoreClock {
    public init() {}
    public func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// Real time plus an offset that only moves forward, kept in `<data dir>/clock` (written to a temporary file, fsynced,
/// renamed, directory fsynced), so it survives restarts and `kill -9`. Reading the clock is an atomic load and no I/O.
public final class OffsetClock: AdvanceableClock, @unchecked Sendable {
    // Unchecked: `offset` is atomic; `lock` serializes advances, so the file and the offset move together.
    private let lock = NSLock()
    /// Read on every request that stamps or decides anything: an atomic load, not a lock.
    private let offset: Atomic<Int64>
    private let path: String

    public init(dataDirectory: String) throws {
        path = dataDirectory + "/clock"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            offset = Atomic(0)
            return
        }
        guard let value = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), value >= 0 else {
            throw StoreError.io("\(path) does not hold a clock offset (a whole number of milliseconds, at least 0)")
        }
        offset = Atomic(value)
    }

    public func nowMillis() -> Int64 { WallClock().nowMillis() + offsetMillis }

    public var offsetMillis: Int64 { offset.load(ordering: .acquiring) }

    public func advance(byMillis millis: Int64) throws {
        precondition(millis >= 0, "the store clock only moves forward")
        try lock.withLock {
            let (next, overflow) = offset.load(ordering: .acquiring).addingReportingOverflow(millis)
            guard !overflow, next <= Self.maximumOffsetMillis else { throw StoreError.io("the store clock cannot move that far") }
            try Self.writeDurably(Array("\(next)\n".utf8), to: path)
            offset.store(next, ordering: .releasing)
        }
    }

    /// About 10,000 years: far enough for any test, near enough that dates stay printable.
    public static let maximumOffsetMillis: Int64 = 10_000 * 366 * 86_400_000

    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(tmp, path) == 0 else {
            throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw StoreError.io("cannot open the directory of \(path)") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw StoreError.io("fsync of the directory of \(path) failed") }
    }
}
