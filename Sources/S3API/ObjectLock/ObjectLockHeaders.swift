import FrontDoors
import HTTPDates
import Store

/// The Object Lock headers of PutObject, CopyObject and CreateMultipartUpload, validated as S3 validates them: the
/// headers' own form first, then whether the bucket has Object Lock, then (for bodies that will be locked) that the
/// body's integrity is checked end to end.
struct ObjectLockHeaders {
    var retention: ObjectRetention?
    var legalHold: Bool?

    var isEmpty: Bool { retention == nil && legalHold == nil }

    static func parse(_ c: S3Context, nowMillis: Int64) throws -> ObjectLockHeaders {
        var parsed = ObjectLockHeaders()
        let modeText = c.header("x-amz-object-lock-mode"), dateText = c.header("x-amz-object-lock-retain-until-date")
        if let modeText, RetentionMode(rawValue: modeText) == nil {
            throw S3Error.invalidArgument("Unknown wormMode directive.", name: "x-amz-object-lock-mode", value: modeText)
        }
        if let dateText, ISO8601Date.parse(dateText) == nil {
            throw S3Error.invalidArgument("The retain until date must be provided in ISO 8601 format",
                                          name: "x-amz-object-lock-retain-until-date", value: dateText)
        }
        switch (modeText.flatMap(RetentionMode.init(rawValue:)), dateText.flatMap(ISO8601Date.parse)) {
        case (nil, nil): break
        case (let mode?, let until?):
            guard until > nowMillis else {
                throw S3Error.invalidArgument("The retain until date must be in the future!", name: "x-amz-object-lock-retain-until-date",
                                              value: dateText)
            }
            parsed.retention = ObjectRetention(mode: mode, retainUntilMillis: until)
        default:
            throw S3Error.invalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                                          name: modeText == nil ? "x-amz-object-lock-mode" : "x-amz-object-lock-retain-until-date")
        }
        if let hold = c.header("x-amz-object-lock-legal-hold") {
            guard hold == "ON" || hold == "OFF" else {
                throw S3Error.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", name: "x-amz-object-lock-legal-hold", value: hold)
            }
            parsed.legalHold = hold == "ON"
        }
        return parsed
    }

    /// Lock headers need a bucket with Object Lock; a body that will be locked (by these headers or the bucket's default
    /// retention) needs Content-MD5 or an `x-amz-checksum-*` value. `operation` names it in S3's message ("Put Object").
    func check(bucket configuration: BucketConfiguration?, _ c: S3Context, operation: String, needsBody: Bool = true) throws {
        let lock = configuration?.objectLock
        if !isEmpty && lock == nil { throw S3Error.invalidRequest("Bucket is missing ObjectLockConfiguration") }
        guard needsBody, !isEmpty || lock?.defaultRetention != nil else { return }
        if !Self.carriesIntegrity(c) {
            throw S3Error.invalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for \(operation) requests with Object Lock parameters")
        }
    }

    /// Content-MD5, or an `x-amz-checksum-*` value in a header or announced as a trailer.
    static func carriesIntegrity(_ c: S3Context) -> Bool {
        if c.header("content-md5") != nil { return true }
        if c.request.headers.contains(where: { $0.name.canonicalName.hasPrefix("x-amz-checksum-") && $0.name.canonicalName != "x-amz-checksum-type" }) {
            return true
        }
        return c.header("x-amz-trailer")?.lowercased().hasPrefix("x-amz-checksum-") == true
    }

    /// `x-amz-bypass-governance-retention`: only meaningful (and only allowed) on buckets with Object Lock.
    static func bypassGovernance(_ c: S3Context, bucket configuration: BucketConfiguration?) throws -> Bool {
        guard let value = c.header("x-amz-bypass-governance-retention") else { return false }
        guard configuration?.objectLock != nil else {
            throw S3Error.invalidArgument("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
                                          name: "x-amz-bypass-governance-retention")
        }
        return value.lowercased() == "true"
    }

    /// HEAD and GET report a version's lock: mode and date while it has a retention, the legal hold once ever set.
    static func apply(_ metadata: ObjectMetadata, to response: inout APIResponse) {
        if let retention = metadata.retention {
            response.set("x-amz-object-lock-mode", retention.mode.rawValue)
            response.set("x-amz-object-lock-retain-until-date", ISO8601Date.format(retention.retainUntilMillis))
        }
        if let hold = metadata.legalHold { response.set("x-amz-object-lock-legal-hold", hold ? "ON" : "OFF") }
    }
}
