import FrontDoors
import HTTPDates
import LockstepXML
import Store

/// Put/GetObjectLockConfiguration (bucket), Put/GetObjectRetention and Put/GetObjectLegalHold (one version). The rules
/// for what may change live in the store (`ObjectStore+ObjectLock.swift`); here are S3's documents and errors.
extension S3Service {
    static let integrityMissing = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"

    func putObjectLockConfiguration(_ c: S3Context) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: Self.integrityMissing)
        _ = try await requireBucket(c)
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "ObjectLockConfiguration", root.value("ObjectLockEnabled") == "Enabled" else { throw S3Error.malformedXML() }
        var configuration = ObjectLockConfiguration()
        if let rule = root.child("Rule") {
            guard let retention = rule.child("DefaultRetention"), let mode = retention.value("Mode").flatMap(RetentionMode.init(rawValue:))
            else { throw S3Error.malformedXML() }
            let days = retention.value("Days"), years = retention.value("Years")
            guard (days == nil) != (years == nil) else { throw S3Error.malformedXML() }
            let (name, text, limit) = days != nil ? ("Days", days!, 36_500) : ("Years", years!, 100)
            guard let period = Int(text) else { throw S3Error.malformedXML() }
            guard period > 0 else { throw S3Error.invalidArgument("Default retention period must be a positive integer value.", name: name, value: text) }
            guard period <= limit else { throw S3Error.invalidArgument("Default retention period too large.", name: name, value: text) }
            configuration.defaultRetention = ObjectLockConfiguration.DefaultRetention(mode: mode, days: days != nil ? period : nil,
                                                                                      years: years != nil ? period : nil)
        }
        try await store.setObjectLockConfiguration(bucket: c.bucket, configuration)
        return APIResponse()
    }

    func getObjectLockConfiguration(_ c: S3Context) async throws -> APIResponse {
        guard let lock = try await requireBucket(c).configuration.objectLock else {
            throw S3Error(.objectLockConfigurationNotFound, details: [("BucketName", c.bucket)])
        }
        var x = XMLWriter()
        x.group("ObjectLockConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("ObjectLockEnabled", "Enabled")
            if let retention = lock.defaultRetention {
                x.group("Rule") { x in
                    x.group("DefaultRetention") { x in
                        x.element("Mode", retention.mode.rawValue)
                        if let days = retention.days { x.element("Days", days) }
                        if let years = retention.years { x.element("Years", years) }
                    }
                }
            }
        }
        return xmlResponse(x)
    }

    func putObjectRetention(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: Self.integrityMissing)
        let configuration = try store.configuration(bucket: c.bucket)
        let bypass = try ObjectLockHeaders.bypassGovernance(c, bucket: configuration)
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "Retention" else { throw S3Error.malformedXML() }
        var retention: ObjectRetention?
        switch (root.value("Mode"), root.value("RetainUntilDate")) {
        case (nil, nil): retention = nil  // an empty Retention removes it (GOVERNANCE, with bypass)
        case (let modeText?, let dateText?):
            guard let mode = RetentionMode(rawValue: modeText), let until = ISO8601Date.parse(dateText) else { throw S3Error.malformedXML() }
            guard until > store.clock.nowMillis() else {
                throw S3Error.invalidArgument("The retain until date must be in the future!", name: "RetainUntilDate", value: dateText)
            }
            retention = ObjectRetention(mode: mode, retainUntilMillis: until)
        default:
            throw S3Error.malformedXML()
        }
        let version = try await store.setRetention(bucket: c.bucket, key: c.key, versionId: versionId, retention, bypassGovernance: bypass)
        var response = APIResponse()
        response.set("x-amz-version-id", versionId.map { _ in version.versionId })
        return response
    }

    func getObjectRetention(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let version = try await store.objectLockState(bucket: c.bucket, key: c.key, versionId: versionId)
        guard let retention = version.metadata.retention else { throw S3Error(.noSuchObjectLockConfiguration) }
        var x = XMLWriter()
        x.group("Retention", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Mode", retention.mode.rawValue)
            x.element("RetainUntilDate", ISO8601Date.format(retention.retainUntilMillis))
        }
        return xmlResponse(x)
    }

    func putObjectLegalHold(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        try requireIntegrityHeader(c, message: Self.integrityMissing)
        let root = try parseXML(try await readXMLBody(c))
        guard root.name == "LegalHold", let status = root.value("Status"), status == "ON" || status == "OFF" else {
            throw S3Error.malformedXML()
        }
        try await store.setLegalHold(bucket: c.bucket, key: c.key, versionId: versionId, on: status == "ON")
        return APIResponse()
    }

    func getObjectLegalHold(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let version = try await store.objectLockState(bucket: c.bucket, key: c.key, versionId: versionId)
        guard let hold = version.metadata.legalHold else { throw S3Error(.noSuchObjectLockConfiguration) }
        var x = XMLWriter()
        x.group("LegalHold", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in x.element("Status", hold ? "ON" : "OFF") }
        return xmlResponse(x)
    }
}
