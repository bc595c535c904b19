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

#if FUZZING
/// libFuzzer's driver, called from our own `main`: SwiftPM gives every executable a renamed entry point, so libFuzzer's
/// `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in lockstepFuzzOneInput(data, size) })
    }
}
#else
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
