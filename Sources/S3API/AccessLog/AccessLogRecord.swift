import FrontDoors
import HTTPDates

/// One server access log record in AWS's space-separated format, every field in AWS's order. A field that does not
/// apply is `-`; Request-URI, Referer and User-Agent are quoted and, as on AWS, written as received, quotes included.
public struct AccessLogRecord: Sendable, Equatable {
    public var bucketOwner: String
    public var bucket: String
    /// When the request was received, on the store clock.
    public var timeMillis: Int64
    public var remoteIP: String?
    /// The requester's canonical user id (or IAM ARN); nil when the request was not authenticated.
    public var requester: String?
    public var requestId: String
    /// `REST.PUT.OBJECT`, `BATCH.DELETE.OBJECT`, … (`AccessLogOperation`).
    public var operation: String
    /// The key as the field shows it (URL-encoded by `AccessLogRecord.encodeKey`); nil when the operation takes none.
    public var key: String?
    /// `GET /bucket/key?x HTTP/1.1`
    public var requestURI: String?
    public var status: Int?
    public var errorCode: String?
    public var bytesSent: Int64 = 0
    public var objectSize: Int64?
    public var totalTimeMillis: Int64?
    public var turnAroundMillis: Int64?
    public var referer: String?
    public var userAgent: String?
    public var versionId: String?
    public var hostId: String?
    /// `SigV4` or `SigV2`; nil when not authenticated.
    public var signatureVersion: String?
    /// `AuthHeader` or `QueryString`; nil when not authenticated.
    public var authenticationType: String?
    public var hostHeader: String?
    /// Lockstep serves plain HTTP, so the cipher suite and TLS version are always `-`; access points and ACLs do not
    /// exist, so the access point ARN and aclRequired are too; the source region is `-` as for requests from outside AWS.
    public var aclRequired: String?
    public var sourceRegion: String?

    public init(bucketOwner: String, bucket: String, timeMillis: Int64, requestId: String, operation: String) {
        self.bucketOwner = bucketOwner; self.bucket = bucket; self.timeMillis = timeMillis
        self.requestId = requestId; self.operation = operation
    }

    /// The record as one line, without the newline.
    public var line: String { String(decoding: lineBytes(), as: UTF8.self) }

    /// The line's bytes, written field by field into one buffer: it is built on the request path of every logged
    /// request, so no intermediate strings.
    public func lineBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384 + (userAgent?.utf8.count ?? 0) + (requestURI?.utf8.count ?? 0))
        func field(_ value: String?) {
            if let value, !value.isEmpty { out.append(contentsOf: value.utf8) } else { out.append(dashByte) }
            out.append(spaceByte)
        }
        func quotedField(_ value: String?) {
            out.append(quoteByte)
            if let value, !value.isEmpty { out.append(contentsOf: value.utf8) } else { out.append(dashByte) }
            out.append(quoteByte)
            out.append(spaceByte)
        }
        func number(_ value: Int64?, zeroIsDash: Bool = false) {
            guard let value, !(zeroIsDash && value == 0) else {
                out.append(dashByte)
                out.append(spaceByte)
                return
            }
            Self.appendDecimal(value, to: &out)
            out.append(spaceByte)
        }
        field(bucketOwner)
        field(bucket)
        Self.appendTime(timeMillis, to: &out)
        out.append(spaceByte)
        field(remoteIP)
        field(requester)
        field(requestId)
        field(operation)
        field(key)
        quotedField(requestURI)
        number(status.map(Int64.init))
        field(errorCode)
        number(bytesSent, zeroIsDash: true)
        number(objectSize)
        number(totalTimeMillis)
        number(turnAroundMillis)
        quotedField(referer)
        quotedField(userAgent)
        field(versionId)
        field(hostId)
        field(signatureVersion)
        field(nil)                                    // cipher suite
        field(authenticationType)
        field(hostHeader)
        field(nil)                                    // TLS version
        field(nil)                                    // access point ARN
        field(aclRequired)
        field(sourceRegion)
        out.removeLast()                              // the space after the last field
        return out
    }

    /// `[06/Feb/2019:00:00:38 +0000]`
    static func appendTime(_ millis: Int64, to out: inout [UInt8]) {
        let t = HTTPDate.components(millis)
        func two(_ n: Int32) { out.append(0x30 + UInt8(n / 10 % 10)); out.append(0x30 + UInt8(n % 10)) }
        out.append(UInt8(ascii: "["))
        two(t.tm_mday)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: HTTPDate.months[Int(t.tm_mon)].utf8)
        out.append(UInt8(ascii: "/"))
        appendDecimal(Int64(t.tm_year) + 1900, to: &out)
        for part in [t.tm_hour, t.tm_min, t.tm_sec] {
            out.append(UInt8(ascii: ":"))
            two(part)
        }
        out.append(contentsOf: " +0000]".utf8)
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(0x30 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out.append(contentsOf: digits.reversed())
    }

    /// The key field: URL-encoded twice for requests (AWS encodes the key it logs, then the field), once for what S3
    /// does itself (`BATCH.DELETE.OBJECT`, `S3.EXPIRE.OBJECT`) — as AWS's own logs have it.
    public static func encodeKey(_ key: String, twice: Bool) -> String {
        let once = urlEncodeForListing(key)
        return twice ? urlEncodeForListing(once) : once
    }

}

private let dashByte = UInt8(ascii: "-")
private let spaceByte = UInt8(ascii: " ")
private let quoteByte = UInt8(ascii: "\"")
