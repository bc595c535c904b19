import ArgumentParser
import Foundation
import FrontDoors
import LockstepServer
import NIOCore
import NIOPosix

// Top-level entry rather than @main: the target has more than one file, and this one is main.swift.
await Main.main()

enum Main {
    /// Parses by hand so that every usage error exits with code 2 and one line, never a stack trace.
    static func main() async {
        // Run Swift concurrency on NIO's event loops: a request then stays on one thread from socket to handler and back,
        // instead of hopping between the event loop and the cooperative pool (measured in docs/benchmarks.md).
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            var command = try Lockstep.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Lockstep.exitCode(for: error)
            if code == .success {
                print(Lockstep.fullMessage(for: error))
                exit(0)
            }
            let message = Lockstep.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("lockstep: \(message)\n".utf8))
            exit(2)
        }
    }
}

struct Lockstep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "A local, S3-compatible object store for Terraform state, tests and learning.",
        subcommands: [Serve.self, Keys.self, Clock.self, Lifecycle.self, Logs.self, TFState.self, Health.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the S3 API.")

    @Option(help: "Address to listen on (env LOCKSTEP_ADDRESS).") var address: String?
    @Option(help: "Port to listen on; 0 picks a free port (env LOCKSTEP_PORT).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Data directory (env LOCKSTEP_DATA_DIR, default ./.lockstep).") var dataDir: String?
    @Option(name: .customLong("access-key"), help: "Access key id (env LOCKSTEP_ACCESS_KEY).") var accessKey: String?
    @Option(name: .customLong("secret-key"), help: "Secret access key (env LOCKSTEP_SECRET_KEY).") var secretKey: String?
    @Option(help: "Region reported for buckets (env LOCKSTEP_REGION).") var region: String?
    @Option(help: "Base domain for virtual-hosted addressing, BUCKET.<domain> (env LOCKSTEP_DOMAIN).") var domain: String?
    @Option(name: .customLong("root-key-file"), help: "File holding the base64 root key that encrypts the keyring (env LOCKSTEP_ROOT_KEY holds the key itself; default: generated into the data dir).") var rootKeyFile: String?
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may wait for request headers or between body pieces before it is closed (env LOCKSTEP_IDLE_TIMEOUT, default 30).") var idleTimeout: Int?
    @Option(name: .customLong("max-connections"), help: "Connections served at once; more wait their turn (env LOCKSTEP_MAX_CONNECTIONS, default from the open-file limit).") var maxConnections: Int?
    @Option(name: .customLong("lifecycle-day-seconds"), help: "Length of a lifecycle day in seconds; shorter makes rules fire in real time (env LOCKSTEP_LIFECYCLE_DAY_SECONDS, default 86400).") var lifecycleDaySeconds: Double?
    @Option(name: .customLong("access-log-flush-seconds"), help: "Longest a server access log record waits before delivery to its target bucket (env LOCKSTEP_ACCESS_LOG_FLUSH_SECONDS, default 60).") var accessLogFlushSeconds: Double?
    @Flag(help: "Use a temporary data directory, removed on exit.") var ephemeral = false
    @Option(name: .customLong("users"), help: "JSON file of more users and their accounts (env LOCKSTEP_USERS_FILE); see docs/access-control.md.") var usersFile: String?
    @Flag(name: .customLong("legacy-bucket-defaults"), help: "New buckets get S3's defaults from before April 2023: ACLs enabled (ObjectWriter), no public access block.") var legacyBucketDefaults = false
    @Flag(name: .customLong("allow-any-credentials"), help: "Accept any access key and signature (still parsed).") var allowAnyCredentials = false
    @Flag(name: .customLong("metrics-public"), help: "Serve /_lockstep/metrics without credentials (env LOCKSTEP_METRICS_PUBLIC=1).") var metricsPublic = false
    @Flag(name: .customLong("no-metrics"), help: "Collect no metrics; /_lockstep/metrics is 404 (env LOCKSTEP_NO_METRICS=1).") var noMetrics = false
    @Option(name: .customLong("log-format"), help: "Log lines on stderr as text or json, one object per line (env LOCKSTEP_LOG_FORMAT, default text).") var logFormat: String?
    @Option(name: .customLong("log-level"), help: "trace, debug (a line per request), info, notice, warning, error or critical (env LOCKSTEP_LOG_LEVEL, default info).") var logLevel: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let idleTimeout, idleTimeout < 1 { throw ValidationError("--idle-timeout must be at least 1 second") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if let lifecycleDaySeconds, !(lifecycleDaySeconds >= 0.001 && lifecycleDaySeconds <= 86_400 * 366) {
            throw ValidationError("--lifecycle-day-seconds must be between 0.001 and 31622400")
        }
        if let accessLogFlushSeconds, !(accessLogFlushSeconds >= 0.2 && accessLogFlushSeconds <= 86_400) {
            throw ValidationError("--access-log-flush-seconds must be between 0.2 and 86400")
        }
        if let logFormat, LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format must be text or json") }
        if let logLevel, ServerConfiguration.parseLogLevel(logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// A boolean environment variable: `1`, `true` or `yes` (any case).
    static func isSet(_ value: String?) -> Bool {
        guard let value = value?.lowercased() else { return false }
        return ["1", "true", "yes"].contains(value)
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.address = address ?? env["LOCKSTEP_ADDRESS"] ?? configuration.address
        if let port {
            configuration.port = port
        } else if let text = env["LOCKSTEP_PORT"] {
            guard let value = Int(text), (0...65535).contains(value) else { throw ValidationError("LOCKSTEP_PORT must be a port number") }
            configuration.port = value
        }
        configuration.dataDirectory = dataDir ?? env["LOCKSTEP_DATA_DIR"] ?? configuration.dataDirectory
        configuration.accessKey = accessKey ?? env["LOCKSTEP_ACCESS_KEY"] ?? configuration.accessKey
        configuration.secretKey = secretKey ?? env["LOCKSTEP_SECRET_KEY"] ?? configuration.secretKey
        configuration.region = region ?? env["LOCKSTEP_REGION"] ?? configuration.region
        configuration.domain = domain ?? env["LOCKSTEP_DOMAIN"]
        configuration.ephemeral = ephemeral
        configuration.rootKeyBase64 = env["LOCKSTEP_ROOT_KEY"]
        configuration.rootKeyFile = rootKeyFile
        configuration.allowAnyCredentials = allowAnyCredentials
        if let idleTimeout {
            configuration.idleTimeoutSeconds = idleTimeout
        } else if let text = env["LOCKSTEP_IDLE_TIMEOUT"] {
            guard let value = Int(text), value >= 1 else { throw ValidationError("LOCKSTEP_IDLE_TIMEOUT must be a whole number of seconds, at least 1") }
            configuration.idleTimeoutSeconds = value
        }
        if let maxConnections {
            configuration.maxConnections = maxConnections
        } else if let text = env["LOCKSTEP_MAX_CONNECTIONS"] {
            guard let value = Int(text), value >= 1 else { throw ValidationError("LOCKSTEP_MAX_CONNECTIONS must be a whole number, at least 1") }
            configuration.maxConnections = value
        }
        if let lifecycleDaySeconds {
            configuration.lifecycleDaySeconds = lifecycleDaySeconds
        } else if let text = env["LOCKSTEP_LIFECYCLE_DAY_SECONDS"] {
            guard let value = Double(text), value >= 0.001, value <= 86_400 * 366 else {
                throw ValidationError("LOCKSTEP_LIFECYCLE_DAY_SECONDS must be a number of seconds between 0.001 and 31622400")
            }
            configuration.lifecycleDaySeconds = value
        }
        if let accessLogFlushSeconds {
            configuration.accessLogFlushSeconds = accessLogFlushSeconds
        } else if let text = env["LOCKSTEP_ACCESS_LOG_FLUSH_SECONDS"] {
            guard let value = Double(text), value >= 0.2, value <= 86_400 else {
                throw ValidationError("LOCKSTEP_ACCESS_LOG_FLUSH_SECONDS must be a number of seconds between 0.2 and 86400")
            }
            configuration.accessLogFlushSeconds = value
        }
        configuration.legacyBucketDefaults = legacyBucketDefaults
        configuration.metricsPublic = metricsPublic || Self.isSet(env["LOCKSTEP_METRICS_PUBLIC"])
        configuration.metricsEnabled = !(noMetrics || Self.isSet(env["LOCKSTEP_NO_METRICS"]))
        if let text = logFormat ?? env["LOCKSTEP_LOG_FORMAT"] {
            guard let format = LogFormat(rawValue: text) else { throw ValidationError("LOCKSTEP_LOG_FORMAT must be text or json") }
            configuration.logFormat = format
        }
        // LOG_LEVEL is the older name, still read.
        if let text = logLevel ?? env["LOCKSTEP_LOG_LEVEL"] ?? env["LOG_LEVEL"] {
            guard let level = ServerConfiguration.parseLogLevel(text) else {
                throw ValidationError("LOCKSTEP_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = level
        }
        if let path = usersFile ?? env["LOCKSTEP_USERS_FILE"] {
            do {
                configuration.users = try UsersFile.load(path: path, rootAccessKey: configuration.accessKey)
            } catch {
                FileHandle.standardError.write(Data("lockstep: \(error.description)\n".utf8))
                Foundation.exit(2)
            }
        }
        do {
            try await LockstepServer(configuration: configuration).run()
        } catch let error as ServerStartError {
            FileHandle.standardError.write(Data("lockstep: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            FileHandle.standardError.write(Data("lockstep: \(error)\n".utf8))
            Foundation.exit(2)
        }
    }
}
