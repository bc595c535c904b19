#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit: every connection is a descriptor, and so are blob files being written or read and the
/// index. The soft limit is raised to the hard one at start-up, and the default connection cap leaves room for the rest.
enum OpenFiles {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit now in force.
    static func raiseLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Half the descriptors left after a reserve for the index, logs and the like go to connections (the other half to
    /// the blob files those connections may open), between 16 and 16,384.
    static func defaultMaxConnections(openFileLimit: Int) -> Int {
        min(max((openFileLimit - 128) / 2, 16), 16_384)
    }
}
