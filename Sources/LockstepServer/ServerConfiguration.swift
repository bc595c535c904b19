import FrontDoors
import Logging
import Store

/// Everything `lockstep serve` is told: flags, environment, defaults.
public struct ServerConfiguration: Sendable {
    public var address: String
    public var port: Int
    public var dataDirectory: String
    public var accessKey: String
    public var secretKey: String
    public var region: String
    public var domain: String?
    public var ephemeral: Bool
    public var allowAnyCredentials: Bool
    /// The keyring's root key: base64 (`LOCKSTEP_ROOT_KEY`) or a file holding it (`--root-key-file`); neither → generated.
    public var rootKeyBase64: String?
    public var rootKeyFile: String?
    /// Seconds a connection may wait for a request's headers, or between pieces of its body, before it is closed.
    public var idleTimeoutSeconds: Int = 30
    /// Connections served at once; past it, new ones wait in the listen backlog. nil: derived from the open-file limit.
    public var maxConnections: Int?
    /// The length of a lifecycle "day" in seconds (86,400 as on AWS; shorter makes rules fire in real time).
    public var lifecycleDaySeconds: Double = 86_400
    /// The longest a server access log record waits before it is delivered to its target bucket.
    public var accessLogFlushSeconds: Double = 60
    /// Users beyond the `accessKey` root, from `--users` (validated when the file was read).
    public var users: [UsersFile.User] = []
    /// New buckets get the defaults S3 gave before April 2023 (ACLs enabled with `ObjectWriter`, no public access
    /// block) instead of today's (`BucketOwnerEnforced`, all four blocks on).
    public var legacyBucketDefaults = false
    /// `--no-metrics`: nothing is counted and `/_lockstep/metrics` is 404 (to measure what collection costs).
    public var metricsEnabled = true
    /// `--metrics-public`: `/_lockstep/metrics` answers without credentials.
    public var metricsPublic = false
    /// `--log-format`: the server's log lines on standard error, as text or one JSON object per line.
    public var logFormat: LogFormat = .text
    /// `--log-level`: `debug` adds a line per request.
    public var logLevel: Logger.Level = .info

    /// `trace` … `critical`, as swift-log names its levels; nil for any other name.
    public static func parseLogLevel(_ name: String) -> Logger.Level? { Logger.Level(rawValue: name) }

    public var lifecycleSchedule: LifecycleSchedule {
        LifecycleSchedule(dayMillis: max(1, Int64((lifecycleDaySeconds * 1000).rounded())))
    }

    public static let defaultAccessKey = "lockstep"
    public static let defaultSecretKey = "lockstep-secret-key"

    public init(address: String = "127.0.0.1", port: Int = 9000, dataDirectory: String = ".lockstep", accessKey: String = defaultAccessKey,
                secretKey: String = defaultSecretKey, region: String = "us-east-1", domain: String? = nil, ephemeral: Bool = false,
                allowAnyCredentials: Bool = false) {
        self.address = address; self.port = port; self.dataDirectory = dataDirectory; self.accessKey = accessKey; self.secretKey = secretKey
        self.region = region; self.domain = domain; self.ephemeral = ephemeral; self.allowAnyCredentials = allowAnyCredentials
    }
}
