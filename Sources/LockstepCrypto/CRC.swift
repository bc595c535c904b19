/// Reflected CRC-32 (IEEE, as in zlib and `x-amz-checksum-crc32`) and CRC-32C (Castagnoli, `x-amz-checksum-crc32c`),
/// table-driven with slicing-by-8.
public struct CRC32 {
    public enum Polynomial: Sendable {
        case ieee, castagnoli
        var reflected: UInt32 { self == .ieee ? 0xEDB8_8320 : 0x82F6_3B78 }
    }

    static let ieeeTables = makeTables(Polynomial.ieee.reflected)
    static let castagnoliTables = makeTables(Polynomial.castagnoli.reflected)

    private var state: UInt32 = 0xFFFF_FFFF
    private let tables: [[UInt32]]

    public init(_ polynomial: Polynomial = .ieee) {
        tables = polynomial == .ieee ? CRC32.ieeeTables : CRC32.castagnoliTables
    }

    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    /// The CRC in network byte order, as S3 encodes it (base64 of these 4 bytes).
    public var bigEndianBytes: [UInt8] {
        let v = value
        return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = state
        var p = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) }
        var n = bytes.count
        guard var ptr = p else { return }
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while n >= 8 {
                let lo = UInt32(ptr[0]) | UInt32(ptr[1]) << 8 | UInt32(ptr[2]) << 16 | UInt32(ptr[3]) << 24
                let hi = UInt32(ptr[4]) | UInt32(ptr[5]) << 8 | UInt32(ptr[6]) << 16 | UInt32(ptr[7]) << 24
                let x = crc ^ lo
                crc = t7[Int(x & 0xff)] ^ t6[Int(x >> 8 & 0xff)] ^ t5[Int(x >> 16 & 0xff)] ^ t4[Int(x >> 24)]
                    ^ t3[Int(hi & 0xff)] ^ t2[Int(hi >> 8 & 0xff)] ^ t1[Int(hi >> 16 & 0xff)] ^ t0[Int(hi >> 24)]
                ptr += 8
                n -= 8
            }
            while n > 0 {
                crc = t0[Int((crc ^ UInt32(ptr[0])) & 0xff)] ^ (crc >> 8)
                ptr += 1
                n -= 1
            }
        }
        p = nil
        state = crc
    }

    static func makeTables(_ poly: UInt32) -> [[UInt32]] {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ poly : c >> 1 }
            tables[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][Int(tables[k - 1][i] & 0xff)] }
        }
        return tables
    }
}

/// CRC-64/NVME (`x-amz-checksum-crc64nvme`): reflected polynomial 0x9A6C9329AC4BC9B5, init and xor-out all ones.
public struct CRC64NVME {
    static let tables: [[UInt64]] = {
        let poly: UInt64 = 0x9A6C_9329_AC4B_C9B5
        var tables = [[UInt64]](repeating: [UInt64](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt64(i)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ poly : c >> 1 }
            tables[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][Int(tables[k - 1][i] & 0xff)] }
        }
        return tables
    }()

    private var state: UInt64 = ~0

    public init() {}

    public var value: UInt64 { ~state }

    public var bigEndianBytes: [UInt8] {
        let v = value
        return (0..<8).map { UInt8(v >> (56 - 8 * UInt64($0)) & 0xff) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var ptr = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var n = bytes.count
        var crc = state
        CRC64NVME.tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while n >= 8 {
                var word: UInt64 = 0
                for k in 0..<8 { word |= UInt64(ptr[k]) << (8 * UInt64(k)) }
                let x = crc ^ word
                crc = t7[Int(x & 0xff)] ^ t6[Int(x >> 8 & 0xff)] ^ t5[Int(x >> 16 & 0xff)] ^ t4[Int(x >> 24 & 0xff)]
                    ^ t3[Int(x >> 32 & 0xff)] ^ t2[Int(x >> 40 & 0xff)] ^ t1[Int(x >> 48 & 0xff)] ^ t0[Int(x >> 56)]
                ptr += 8
                n -= 8
            }
            while n > 0 {
                crc = t0[Int((crc ^ UInt64(ptr[0])) & 0xff)] ^ (crc >> 8)
                ptr += 1
                n -= 1
            }
        }
        state = crc
    }
}
