import CLibCrypto

/// Errors from AES-256-GCM sealing and opening.
public enum AESGCMError: Error, Equatable, Sendable {
    /// The key is not 32 bytes.
    case invalidKeySize
    /// The nonce is not 12 bytes.
    case invalidNonceSize
    /// The tag (or the buffer for it) is not 16 bytes.
    case invalidTagSize
    /// An output buffer is smaller than its input.
    case bufferTooSmall
    /// The tag does not match: wrong key, nonce or associated data, or the ciphertext or tag was altered.
    case authenticationFailed
    /// OpenSSL reported a failure that is not an authentication failure.
    case cryptoFailure
}

/// AES-256-GCM on OpenSSL's EVP interface: 32-byte key, 12-byte nonce, 16-byte tag.
///
/// The static functions are one-shot conveniences. For many messages under one key (the frames of an object body),
/// create one ``AESGCM/Context``: it keeps the EVP context and the expanded key, and each message only re-initialises
/// the nonce.
public enum AESGCM {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    /// Seals `plaintext`, returning the ciphertext (same length) and the 16-byte tag.
    public static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8] = []) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        try Context(key: key).seal(nonce: nonce, plaintext: plaintext, aad: aad)
    }

    /// Opens a sealed message; throws ``AESGCMError/authenticationFailed`` if anything was altered.
    public static func open(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try Context(key: key).open(nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad)
    }

    /// Seals into caller-supplied buffers. `ciphertext` must hold at least `plaintext.count` bytes (it may be the same
    /// memory as `plaintext`); `tag` must be exactly 16 bytes.
    public static func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer,
                            aad: UnsafeRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws {
        try Context(key: key).seal(nonce: nonce, plaintext: plaintext, aad: aad, ciphertext: ciphertext, tag: tag)
    }

    /// Opens into a caller-supplied buffer of at least `ciphertext.count` bytes (it may be the same memory as
    /// `ciphertext`). On failure the output is zeroed.
    public static func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
                            tag: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, plaintext: UnsafeMutableRawBufferPointer) throws {
        try Context(key: key).open(nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad, plaintext: plaintext)
    }

    /// A reusable AES-256-GCM context bound to one key. Not thread-safe: use one per stream.
    public final class Context {
        private let ctx: OpaquePointer

        public init(key: UnsafeRawBufferPointer) throws {
            ctx = try Self.makeContext(key: key)
        }

        private init(context: OpaquePointer) {
            ctx = context
        }

        private static func makeContext(key: UnsafeRawBufferPointer) throws -> OpaquePointer {
            guard key.count == AESGCM.keySize, let keyBase = key.baseAddress else { throw AESGCMError.invalidKeySize }
            guard let ctx = EVP_CIPHER_CTX_new() else { throw AESGCMError.cryptoFailure }
            // Cipher first, then the IV length, then the key (expanded once, kept for every later message).
            guard EVP_CipherInit_ex(ctx, aes256gcm, nil, nil, nil, 1) == 1,
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(AESGCM.nonceSize), nil) == 1,
                  EVP_CipherInit_ex(ctx, nil, nil, keyBase.assumingMemoryBound(to: UInt8.self), nil, 1) == 1
            else {
                EVP_CIPHER_CTX_free(ctx)
                throw AESGCMError.cryptoFailure
            }
            return ctx
        }

        public convenience init(key: [UInt8]) throws {
            guard key.count == AESGCM.keySize else { throw AESGCMError.invalidKeySize }
            let ctx = try key.withUnsafeBytes { try Self.makeContext(key: $0) }
            self.init(context: ctx)
        }

        deinit { EVP_CIPHER_CTX_free(ctx) }

        /// Seals `plaintext` into `ciphertext` (at least as long; may alias `plaintext`) and writes the 16-byte tag.
        public func seal(nonce: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                         ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws {
            guard ciphertext.count >= plaintext.count else { throw AESGCMError.bufferTooSmall }
            guard tag.count == AESGCM.tagSize else { throw AESGCMError.invalidTagSize }
            try start(nonce: nonce, encrypt: 1)
            try absorb(aad)
            try update(plaintext, into: ciphertext)
            var outLength: Int32 = 0
            guard EVP_EncryptFinal_ex(ctx, nil, &outLength) == 1,
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(AESGCM.tagSize), tag.baseAddress) == 1
            else { throw AESGCMError.cryptoFailure }
        }

        /// Opens `ciphertext` into `plaintext` (at least as long; may alias `ciphertext`). Throws
        /// ``AESGCMError/authenticationFailed`` and zeroes the output if the tag does not verify.
        public func open(nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                         aad: UnsafeRawBufferPointer, plaintext: UnsafeMutableRawBufferPointer) throws {
            guard plaintext.count >= ciphertext.count else { throw AESGCMError.bufferTooSmall }
            guard tag.count == AESGCM.tagSize, let tagBase = tag.baseAddress else { throw AESGCMError.invalidTagSize }
            try start(nonce: nonce, encrypt: 0)
            do {
                try absorb(aad)
                try update(ciphertext, into: plaintext)
            } catch {
                wipe(plaintext, count: ciphertext.count)
                throw error
            }
            // OpenSSL copies the tag; it does not write through this pointer.
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(AESGCM.tagSize), UnsafeMutableRawPointer(mutating: tagBase)) == 1 else {
                wipe(plaintext, count: ciphertext.count)
                throw AESGCMError.cryptoFailure
            }
            var outLength: Int32 = 0
            guard EVP_DecryptFinal_ex(ctx, nil, &outLength) == 1 else {
                wipe(plaintext, count: ciphertext.count)
                throw AESGCMError.authenticationFailed
            }
        }

        public func seal(nonce: [UInt8], plaintext: [UInt8], aad: [UInt8] = []) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
            var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
            var tag = [UInt8](repeating: 0, count: AESGCM.tagSize)
            try nonce.withUnsafeBytes { n in
                try plaintext.withUnsafeBytes { p in
                    try aad.withUnsafeBytes { a in
                        try ciphertext.withUnsafeMutableBytes { c in
                            try tag.withUnsafeMutableBytes { t in
                                try seal(nonce: n, plaintext: p, aad: a, ciphertext: c, tag: t)
                            }
                        }
                    }
                }
            }
            return (ciphertext, tag)
        }

        public func open(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
            var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
            try nonce.withUnsafeBytes { n in
                try ciphertext.withUnsafeBytes { c in
                    try tag.withUnsafeBytes { t in
                        try aad.withUnsafeBytes { a in
                            try plaintext.withUnsafeMutableBytes { p in
                                try open(nonce: n, ciphertext: c, tag: t, aad: a, plaintext: p)
                            }
                        }
                    }
                }
            }
            return plaintext
        }

        // MARK: - EVP steps

        /// Re-initialises for a new message: only the nonce changes, the expanded key stays.
        private func start(nonce: UnsafeRawBufferPointer, encrypt: Int32) throws {
            guard nonce.count == AESGCM.nonceSize, let nonceBase = nonce.baseAddress else { throw AESGCMError.invalidNonceSize }
            guard EVP_CipherInit_ex(ctx, nil, nil, nil, nonceBase.assumingMemoryBound(to: UInt8.self), encrypt) == 1 else {
                throw AESGCMError.cryptoFailure
            }
        }

        private func absorb(_ aad: UnsafeRawBufferPointer) throws {
            guard var base = aad.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var remaining = aad.count
            while remaining > 0 {
                let n = min(remaining, Self.maxUpdate)
                var outLength: Int32 = 0
                guard EVP_CipherUpdate(ctx, nil, &outLength, base, Int32(n)) == 1 else { throw AESGCMError.cryptoFailure }
                base += n
                remaining -= n
            }
        }

        private func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
            guard var inBase = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                  var outBase = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var remaining = input.count
            while remaining > 0 {
                let n = min(remaining, Self.maxUpdate)
                var outLength: Int32 = 0
                guard EVP_CipherUpdate(ctx, outBase, &outLength, inBase, Int32(n)) == 1, Int(outLength) == n else {
                    throw AESGCMError.cryptoFailure
                }
                inBase += n
                outBase += n
                remaining -= n
            }
        }

        private func wipe(_ buffer: UnsafeMutableRawBufferPointer, count: Int) {
            guard let base = buffer.baseAddress, count > 0 else { return }
            OPENSSL_cleanse(base, count)
        }

        /// EVP lengths are `int`; feed large buffers in pieces (GCM is a stream mode, so piece sizes do not matter).
        private static let maxUpdate = 1 << 30
    }
}

/// AES-256-GCM, fetched once from the default provider (saves the implicit fetch on every new context).
private nonisolated(unsafe) let aes256gcm: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) ?? EVP_aes_256_gcm()
