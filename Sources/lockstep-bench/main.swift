import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

// Top-level entry rather than @main: the target has more than one file, and this one is main.swift.
// Workers then resume on the event loops that complete their requests instead of hopping to a separate pool,
// which keeps the generator's own cost per request low.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await BenchMain.main()

enum BenchMain {
    /// Usage errors exit 2 with one line (like s3bench); a scenario that cannot run exits 1 after its JSON line.
    static func main() async {
        do {
            var command = try LockstepBench.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as ScenarioFailure {
            Log.error(failure.message)
            exit(1)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = LockstepBench.exitCode(for: error)
            if code == .success {
                print(LockstepBench.fullMessage(for: error))
                exit(0)
            }
            Log.error(LockstepBench.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)")
            exit(2)
        }
    }
}

/// A scenario that could not run at all (its JSON line, with `fatal`, is already printed).
struct ScenarioFailure: Error {
    let message: String
}
