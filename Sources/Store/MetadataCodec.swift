import Foundation
import LockstepCrypto

/// The compact binary form of `ObjectMetadata` kept in each version row. It is read on every GET and HEAD, where
/// decoding JSON with `JSONDecoder` cost more than the index lookup itself. Layout (version 1): a version byte, six
/// optional strings (content type, encoding, disposition, language, cache control, expires), the storage class, user
/// metadata and tags as counted pairs, then an optional checksum (algorithm, value, kind). Strings are a LEB128 length
/// and UTF-8 bytes; an optional string is a presence byte (0 or 1) followed by the string when present.
/// Version 2 appends the encryption record (presence byte; mode, key id, bucket-key flag, context, wrapped data key,
/// nonce prefix, customer key MD5). Version 1 rows (written before encryption at rest) still decode, unencrypted.
/// Version 3 appends Object Lock (retention: presence, mode, retain-until; legal hold: 0 unset, 1 OFF, 2 ON) and the
/// restore state (presence, tier, days, requested, completes, expires). Times are decimal milliseconds.
/// Version 4 appends the owning account (optional string) and the ACL (presence byte, then counted grants: grantee kind
/// 0 canonical user or 1 group, grantee, permission). Version 5 appends the completed upload (presence byte, upload id,
/// parts digest).
enum MetadataCodec {
    static let version: UInt8 = 5

    static func encode(_ m: ObjectMetadata) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(128)
        out.append(version)
        for field in [m.contentType, m.contentEncoding, m.contentDisposition, m.contentLanguage, m.cacheControl, m.expires] {
            writeOptional(field, into: &out)
        }
        write(m.storageClass, into: &out)
        writePairs(m.userMetadata, into: &out)
        writePairs(m.tags, into: &out)
        if let checksum = m.checksum {
            out.append(1)
            write(checksum.algorithm.rawValue, into: &out)
            write(checksum.value, into: &out)
            write(checksum.kind.rawValue, into: &out)
        } else {
            out.append(0)
        }
        if let e = m.encryption {
            out.append(1)
            write(e.mode.rawValue, into: &out)
            writeOptional(e.keyId, into: &out)
            out.append(e.bucketKeyEnabled ? 1 : 0)
            writeOptional(e.context, into: &out)
            writeBytes(e.wrappedKey, into: &out)
            writeBytes(e.noncePrefix, into: &out)
            writeOptional(e.customerKeyMD5, into: &out)
        } else {
            out.append(0)
        }
        if let retention = m.retention {
            out.append(1)
            write(retention.mode.rawValue, into: &out)
            write(String(retention.retainUntilMillis), into: &out)
        } else {
            out.append(0)
        }
        out.append(m.legalHold.map { $0 ? 2 : 1 } ?? 0)
        if let r = m.restore {
            out.append(1)
            write(r.tier, into: &out)
            for number in [Int64(r.days), r.requestedMillis, r.completesMillis, r.expiresMillis] { write(String(number), into: &out) }
        } else {
            out.append(0)
        }
        writeOptional(m.owner, into: &out)
        if let acl = m.acl {
            out.append(1)
            writeLength(acl.grants.count, into: &out)
            for grant in acl.grants {
                switch grant.grantee {
                case .canonicalUser(let id): out.append(0); write(id, into: &out)
                case .group(let uri): out.append(1); write(uri, into: &out)
                }
                write(grant.permission.rawValue, into: &out)
            }
        } else {
            out.append(0)
        }
        if let completed = m.completedUpload {
            out.append(1)
            write(completed.uploadId, into: &out)
            write(completed.partsDigest, into: &out)
        } else {
            out.append(0)
        }
        return Data(out)
    }

    struct Malformed: Error {}

    static func decode(_ data: Data) throws -> ObjectMetadata {
        try data.withUnsafeBytes { raw -> ObjectMetadata in
            var reader = Reader(bytes: raw)
            let format = try reader.byte()
            guard (1...version).contains(format) else { throw Malformed() }
            var m = ObjectMetadata()
            m.contentType = try reader.optionalString()
            m.contentEncoding = try reader.optionalString()
            m.contentDisposition = try reader.optionalString()
            m.contentLanguage = try reader.optionalString()
            m.cacheControl = try reader.optionalString()
            m.expires = try reader.optionalString()
            m.storageClass = try reader.string()
            m.userMetadata = try reader.pairs()
            m.tags = try reader.pairs()
            if try reader.byte() == 1 {
                guard let algorithm = ChecksumAlgorithm(rawValue: try reader.string()) else { throw Malformed() }
                let value = try reader.string()
                guard let kind = StoredChecksum.Kind(rawValue: try reader.string()) else { throw Malformed() }
                m.checksum = StoredChecksum(algorithm: algorithm, value: value, kind: kind)
            }
            if format >= 2, try reader.byte() == 1 {
                guard let mode = ObjectEncryption.Mode(rawValue: try reader.string()) else { throw Malformed() }
                let keyId = try reader.optionalString()
                let bucketKeyEnabled = try reader.byte() == 1
                let context = try reader.optionalString()
                m.encryption = ObjectEncryption(mode: mode, keyId: keyId, bucketKeyEnabled: bucketKeyEnabled, context: context,
                                                wrappedKey: try reader.data(), noncePrefix: try reader.data(),
                                                customerKeyMD5: try reader.optionalString())
            }
            if format >= 3 {
                if try reader.byte() == 1 {
                    guard let mode = RetentionMode(rawValue: try reader.string()) else { throw Malformed() }
                    m.retention = ObjectRetention(mode: mode, retainUntilMillis: try reader.number())
                }
                switch try reader.byte() {
                case 0: m.legalHold = nil
                case 1: m.legalHold = false
                case 2: m.legalHold = true
                default: throw Malformed()
                }
                if try reader.byte() == 1 {
                    let tier = try reader.string()
                    let days = try reader.number()
                    guard let smallDays = Int(exactly: days) else { throw Malformed() }
                    m.restore = RestoreState(tier: tier, days: smallDays, requestedMillis: try reader.number(),
                                             completesMillis: try reader.number(), expiresMillis: try reader.number())
                }
            }
            if format >= 4 {
                m.owner = try reader.optionalString()
                if try reader.byte() == 1 {
                    var grants: [ACLGrant] = []
                    for _ in 0..<(try reader.length()) {
                        let kind = try reader.byte()
                        let value = try reader.string()
                        guard let permission = ACLPermission(rawValue: try reader.string()), kind <= 1 else { throw Malformed() }
                        grants.append(ACLGrant(kind == 0 ? .canonicalUser(value) : .group(value), permission))
                    }
                    m.acl = AccessControlList(grants: grants)
                }
            }
            if format >= 5, try reader.byte() == 1 {
                m.completedUpload = CompletedUpload(uploadId: try reader.string(), partsDigest: try reader.string())
            }
            return m
        }
    }

    private static func writeLength(_ n: Int, into out: inout [UInt8]) {
        var n = UInt64(n)
        repeat {
            let low = UInt8(n & 0x7F)
            n >>= 7
            out.append(n == 0 ? low : low | 0x80)
        } while n != 0
    }

    private static func write(_ s: String, into out: inout [UInt8]) {
        writeLength(s.utf8.count, into: &out)
        out.append(contentsOf: s.utf8)
    }

    private static func writeBytes(_ bytes: Data, into out: inout [UInt8]) {
        writeLength(bytes.count, into: &out)
        out.append(contentsOf: bytes)
    }

    private static func writeOptional(_ s: String?, into out: inout [UInt8]) {
        guard let s else { out.append(0); return }
        out.append(1)
        write(s, into: &out)
    }

    private static func writePairs(_ pairs: [Tag], into out: inout [UInt8]) {
        writeLength(pairs.count, into: &out)
        for pair in pairs {
            write(pair.key, into: &out)
            write(pair.value, into: &out)
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func length() throws -> Int {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                guard shift < 64 else { throw Malformed() }
            }
            guard value <= UInt64(bytes.count - offset) else { throw Malformed() }
            return Int(value)
        }

        mutating func string() throws -> String {
            let n = try length()
            defer { offset += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
        }

        mutating func data() throws -> Data {
            let n = try length()
            defer { offset += n }
            return Data(bytes[offset..<(offset + n)])
        }

        mutating func number() throws -> Int64 {
            guard let value = Int64(try string()) else { throw Malformed() }
            return value
        }

        mutating func optionalString() throws -> String? {
            try byte() == 1 ? try string() : nil
        }

        mutating func pairs() throws -> [Tag] {
            let count = try length()
            var out: [Tag] = []
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(Tag(key: try string(), value: try string())) }
            return out
        }
    }
}
