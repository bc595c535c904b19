import Foundation

/// The fuzz target to run: `LOCKSTEP_FUZZ_TARGET` (libFuzzer owns the command line).
private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["LOCKSTEP_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.all.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("LOCKSTEP_FUZZ_TARGET must be one of: \(FuzzTargets.all.map(\.name).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point (built with `-sanitize=fuzzer -DFUZZING`, see Tests/Fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func lockstepFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    selected.run(bytes)
    return 0
}

#if !FUZZING
/// Without the fuzzer, replays a corpus: `lockstep-fuzz [corpus-dir]` runs every file under `<corpus-dir>/<target>/`
/// through its target — a regression check that every input the fuzzer ever kept still passes.
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        let root = arguments.first ?? "Tests/Fuzz/corpus"
        var total = 0
        for target in FuzzTargets.all {
            let directory = root + "/" + target.name
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            for file in files {
                guard let data = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
                target.run(Array(data))
                total += 1
            }
            print("\(target.name): \(files.count) inputs")
        }
        print("replayed \(total) inputs without a crash")
    }
}
#endif
