#!/usr/bin/env bash
# Fuzzes every parser of untrusted input with libFuzzer (address sanitizer on), each for SECONDS (default 600),
# starting from the seed corpus in Tests/Fuzz/corpus/<target>/ and keeping the inputs that reach new code in
# .build-fuzz/corpus/<target>/ (merge the useful ones back with libFuzzer's -merge=1). A crash stops that target and
# leaves its input as .build-fuzz/crash-* — add it to the seed corpus once fixed, so the replay keeps it fixed.
#
#   bash Tests/Fuzz/run.sh [SECONDS] [TARGET …]        # targets: xml aws-chunked sigv4 http-dates byte-ranges
#                                                     #   dynamodb-expressions dynamodb-items bucket-policy post-form cors
#
# The normal build replays the corpus (`swift run lockstep-fuzz`), which Tests/run-all.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(xml aws-chunked sigv4 http-dates byte-ranges dynamodb-expressions dynamodb-items bucket-policy post-form cors)
BUILD=.build-fuzz
mkdir -p "$BUILD"
swift build --build-path "$BUILD" --product lockstep-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library >"$BUILD/build.log" 2>&1 \
    || { tail -20 "$BUILD/build.log" >&2; exit 1; }
BIN=$(swift build --build-path "$BUILD" --product lockstep-fuzz --show-bin-path)/lockstep-fuzz
for target in "${TARGETS[@]}"; do
    mkdir -p "Tests/Fuzz/corpus/$target" "$BUILD/corpus/$target"
    echo "==> $target for ${SECONDS_EACH}s" >&2
    # To a file, not a pipe: after a crash the sanitizer's symbolizer can outlive the fuzzer and hold a pipe open.
    LOCKSTEP_FUZZ_TARGET=$target "$BIN" "$BUILD/corpus/$target" "Tests/Fuzz/corpus/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/crash-$target-" >"$BUILD/fuzz-$target.log" 2>&1 || true
    grep -E "^(#[0-9]+\s+DONE|stat::|Done|==[0-9]+==ERROR|SUMMARY)|Fatal error" "$BUILD/fuzz-$target.log" || true
done
