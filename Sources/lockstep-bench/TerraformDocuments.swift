#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LockstepCrypto
import SigV4

/// The documents Terraform's S3 backend writes with use_lockfile: the lock info in `<key>.tflock` and the state.
enum TerraformDocuments {
    /// Lock info as Terraform writes it (keys sorted, as Go marshals a map).
    static func lockInfo(id: String, path: String) -> [UInt8] {
        var o = JSONObject()
        o.add("Created", AmzDate.formatISO8601(WallClock.epochSeconds()))
        o.add("ID", id)
        o.add("Info", "")
        o.add("Operation", "OperationTypeApply")
        o.add("Path", path)
        o.add("Version", "1.10.0")
        o.add("Who", "lockstep-bench@" + hostName)
        return Array(o.serialized().utf8)
    }

    private static let hostName: String = {
        var name = [UInt8](repeating: 0, count: 256)
        let ok = name.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count - 1) == 0 }
        }
        guard ok else { return "localhost" }
        return String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }()

    static func uuid() -> String {
        var b = secureRandomBytes(16)
        b[6] = b[6] & 0x0f | 0x40
        b[8] = b[8] & 0x3f | 0x80
        let h = b.hexString
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// A Terraform v4 state document of about `target` bytes, split around its serial: prefix + serial + suffix.
    static func stateTemplate(target: Int) -> (prefix: String, suffix: String) {
        var resources = "["
        var i = 0
        while resources.utf8.count < target - 300 {
            if i > 0 { resources += "," }
            resources += #"{"mode":"managed","type":"aws_s3_object","name":"obj_\#(i)","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{"schema_version":0,"attributes":{"bucket":"fixtures","key":"data/\#(i).json","etag":"\#(randomHex(16))","id":"data/\#(i).json"},"sensitive_attributes":[]}]}"#
            i += 1
        }
        resources += "]"
        let prefix = #"{"version":4,"terraform_version":"1.10.0","serial":"#
        let suffix = #","lineage":"\#(uuid())","outputs":{},"resources":\#(resources),"check_results":null}"#
        return (prefix, suffix)
    }
}
