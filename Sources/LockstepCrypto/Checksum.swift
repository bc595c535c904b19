/// The S3 additional-checksum algorithms (`x-amz-checksum-*`).
public enum ChecksumAlgorithm: String, CaseIterable, Sendable, Codable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// `x-amz-checksum-crc32` etc.
    public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// Accepts the algorithm names S3 accepts in `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm` (any case).
    public init?(name: String) {
        guard let match = ChecksumAlgorithm.allCases.first(where: { $0.rawValue == name.uppercased() }) else { return nil }
        self = match
    }

    public init?(headerName: String) {
        guard let match = ChecksumAlgorithm.allCases.first(where: { $0.headerName == headerName.lowercased() }) else { return nil }
        self = match
    }

    /// Length in bytes of the raw digest.
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: return 4
        case .crc64nvme: return 8
        case .sha1: return 20
        case .sha256: return 32
        }
    }

    public func makeComputer() -> ChecksumComputer { ChecksumComputer(self) }
}

/// Computes one additional checksum over a stream.
public final class ChecksumComputer {
    public let algorithm: ChecksumAlgorithm
    private var crc32: CRC32?
    private var crc64: CRC64NVME?
    private var digest: Digest?

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: crc32 = CRC32(.ieee)
        case .crc32c: crc32 = CRC32(.castagnoli)
        case .crc64nvme: crc64 = CRC64NVME()
        case .sha1: digest = Digest(.sha1)
        case .sha256: digest = Digest(.sha256)
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if crc32 != nil { crc32!.update(bytes) } else if crc64 != nil { crc64!.update(bytes) } else { digest!.update(bytes) }
    }

    public func finalize() -> [UInt8] {
        if let crc32 { return crc32.bigEndianBytes }
        if let crc64 { return crc64.bigEndianBytes }
        return digest!.finalize()
    }

    /// The base64 form that S3 puts in headers and XML.
    public func finalizeBase64() -> String { Base64.encode(finalize()) }

    public static func base64<Bytes: Sequence>(_ algorithm: ChecksumAlgorithm, _ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let computer = ChecksumComputer(algorithm)
        Array(bytes).withUnsafeBytes { computer.update($0) }
        return computer.finalizeBase64()
    }
}
