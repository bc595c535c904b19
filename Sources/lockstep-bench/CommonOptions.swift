import ArgumentParser
import Foundation
import LockstepCrypto
import NIOCore
import SigV4

enum PayloadChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The body's real SHA-256 in x-amz-content-sha256 (what the AWS CLI sends over http).
    case sha256
    /// UNSIGNED-PAYLOAD.
    case unsigned
}

/// The flags every scenario takes, with s3bench's names and defaults.
struct CommonOptions: ParsableArguments {
    @Option(name: .bench("endpoint"), help: "S3 endpoint, http://host:port (env S3BENCH_ENDPOINT).")
    var endpoint: String = ProcessInfo.processInfo.environment["S3BENCH_ENDPOINT"] ?? "http://127.0.0.1:9000"

    @Option(name: .bench("access-key"), help: "Access key id (env AWS_ACCESS_KEY_ID, else test).")
    var accessKey: String = ProcessInfo.processInfo.environment["AWS_ACCESS_KEY_ID"] ?? "test"

    @Option(name: .bench("secret-key"), help: "Secret access key (env AWS_SECRET_ACCESS_KEY, else test).")
    var secretKey: String = ProcessInfo.processInfo.environment["AWS_SECRET_ACCESS_KEY"] ?? "test"

    @Option(name: .bench("region"), help: "Signing region.")
    var region = "us-east-1"

    @Option(name: .bench("payload"), help: "Payload hash: sha256 (the body's SHA-256, like the AWS CLI over http) or unsigned (UNSIGNED-PAYLOAD).")
    var payload = PayloadChoice.sha256

    @Option(name: .bench("bucket"), help: "Bucket to create or reuse (default: a random lockstep-bench-<scenario>-<hex>).")
    var bucket: String?

    @Option(name: .bench("server-pid"), help: "Server PID: report its CPU seconds (/proc/PID/stat) and sample its resident memory.")
    var serverPID: Int32 = 0

    @Option(name: .bench("timeout"), help: "Per-request timeout (default 60s; large objects 60m).")
    var timeout: GoDuration?

    @Option(name: .bench("cleanup"), help: "Delete the objects and the bucket afterwards, untimed (-cleanup=false keeps them).")
    var cleanup = true

    @Option(name: .bench("seed"), help: "Seed for generated data and key choice (0: time-based).")
    var seed: Int64 = 0

    func configuration(defaultTimeout: GoDuration = GoDuration(seconds: 60)) throws -> ClientConfiguration {
        let target: Endpoint
        do {
            target = try Endpoint(endpoint)
        } catch {
            throw ValidationError("\(error)")
        }
        return ClientConfiguration(
            endpoint: target,
            signer: SigV4Signer(accessKey: accessKey, secretKey: secretKey, region: region, service: "s3"),
            unsignedPayload: payload == .unsigned,
            timeout: .nanoseconds(Int64((timeout ?? defaultTimeout).nanoseconds)))
    }

    /// The seed to use: -seed, or one from the clock.
    var effectiveSeed: UInt64 {
        seed != 0 ? UInt64(bitPattern: seed) : UInt64(truncatingIfNeeded: Monotonic.now() ^ UInt64(WallClock.epochSeconds()))
    }

    /// The leading fields of every JSON line.
    func header(_ scenario: String, bucket: String?) -> JSONObject {
        var o = JSONObject()
        o.add("scenario", scenario)
        o.add("time", AmzDate.formatISO8601(WallClock.epochSeconds()))
        o.add("endpoint", endpoint)
        if let bucket { o.add("bucket", bucket) }
        o.add("payload", payload.rawValue)
        o.add("tool", "lockstep-bench")
        return o
    }
}
