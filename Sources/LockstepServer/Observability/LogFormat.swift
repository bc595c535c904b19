import Logging

/// How the server's log lines look (`--log-format`). Both go to standard error; standard output carries only the
/// ready line and the banner, which programs read.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's own lines: `<time> <level> <label>: <metadata> <message>`.
    case text
    /// One JSON object per line (`JSONLogHandler`).
    case json

    /// The server's logger: its handler is made here rather than through `LoggingSystem.bootstrap`, which a process
    /// may call only once (tests run many servers in one process).
    public func logger(label: String = "lockstep", level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { label in
            switch self {
            case .text: return StreamLogHandler.standardError(label: label)
            case .json: return JSONLogHandler(label: label)
            }
        }
        logger.logLevel = level
        return logger
    }
}
