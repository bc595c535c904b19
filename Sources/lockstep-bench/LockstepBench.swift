import ArgumentParser

/// The root command: one subcommand per scenario, with s3bench's names, flags and JSON fields.
struct LockstepBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep-bench",
        abstract: "Load generator for S3-compatible servers: every scenario prints one JSON line on stdout.",
        discussion: """
            Runs the scenarios of the s3bench load generator the figures in docs/benchmarks.md were measured with, \
            signing with SigV4 over keep-alive HTTP/1.1 connections (one per worker). Flags take one dash as in \
            s3bench (-endpoint, -c 8, -duration 15s, -size 1KiB, -cleanup=false) or two.
            """,
        subcommands: [
            StartupScenario.self, PutSmallScenario.self, GetSmallScenario.self, LockCycleScenario.self,
            LockContentionScenario.self, PutLargeScenario.self, GetLargeScenario.self, ListScenario.self,
            VersionsScenario.self, WaitReady.self, WaitQuiet.self,
        ])
}
