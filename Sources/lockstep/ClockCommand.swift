import ArgumentParser
import Foundation
import Store

/// `lockstep clock show|advance DURATION`: the store clock of a running server.
struct Clock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or move forward the store clock of a running server (lifecycle, retention and restore run on it).",
        subcommands: [Show.self, Advance.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the store clock: its time, offset and lifecycle day.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            Clock.print(try await server.client().call("GET", "/_lockstep/clock"))
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move the store clock forward, e.g. 30d, 12h, 90m, 45s or 1.5d.")
        @Argument(help: "How far: a number with d, h, m or s (seconds without a unit).") var duration: String
        @OptionGroup var server: ServerOptions

        func validate() throws {
            guard clockDurationSeconds(duration) != nil else {
                throw ValidationError("the duration must be a non-negative number with d, h, m or s (e.g. 30d), not \"\(duration)\"")
            }
        }

        func run() async throws {
            let seconds = clockDurationSeconds(duration) ?? 0
            Clock.print(try await server.client().call("POST", "/_lockstep/clock", query: "advance=\(seconds)"))
        }
    }

    static func print(_ clock: [String: Any]) {
        let offset = clock["offsetSeconds"] as? Double ?? 0, day = clock["daySeconds"] as? Double ?? 86_400
        Swift.print("now     \(clock["now"] as? String ?? "?")")
        Swift.print("offset  \(describe(offset)) ahead of real time")
        Swift.print("day     \(describe(day)) (lifecycle)")
    }

    /// 2592000 → "30d (2592000 s)".
    static func describe(_ seconds: Double) -> String {
        let whole = seconds.rounded() == seconds ? String(Int64(seconds)) : String(seconds)
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int64(seconds / 86_400))d (\(whole) s)" }
        return "\(whole) s"
    }
}

/// `lockstep lifecycle run`: one complete lifecycle pass on a running server, now.
struct Lifecycle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run lifecycle rules on a running server.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one complete lifecycle pass now and print what it did.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let result = try await server.client().call("POST", "/_lockstep/lifecycle/run")
            for name in ["expired", "noncurrentExpired", "deleteMarkersRemoved", "transitioned", "uploadsAborted"] {
                Swift.print("\(name.padding(toLength: 21, withPad: " ", startingAt: 0)) \(result[name] as? Int ?? 0)")
            }
        }
    }
}
