/// How many access log records the spool has taken and given out since the server started, for the metrics endpoint.
///
/// Pending is exact after each delivery: what the delivery had to keep, plus what was recorded after the spool was
/// sealed for it. Records an earlier run left in the spool are counted from the first delivery on.
struct AccessLogTally {
    /// Records appended since start.
    var recorded = 0
    /// `recorded` when the buffer was last written to the open file.
    var written = 0
    /// `written` when the spool was last sealed for a delivery.
    var sealed = 0
    var delivered = 0
    /// What the last delivery could not deliver, and `sealed` as it was for that delivery.
    private var kept = 0
    private var keptThrough = 0

    var pending: Int { kept + recorded - keptThrough }

    mutating func delivery(delivered records: Int, kept: Int) {
        delivered += records
        self.kept = kept
        keptThrough = sealed
    }
}
