/// Writing `HLP1` blobs: the raw byte sink shared by ``LogprobCodec/encode(_:)`` and the ``LogprobCodec/Builder``
/// that decoders use to transcode logprobs without building values.
extension LogprobCodec {
    /// Builds an `HLP1` blob entry by entry, for decoders that transcode logprobs straight from a response body
    /// without building ``TokenLogprob`` values. The result equals ``encode(_:)`` of the same entries.
    ///
    /// Add a token's alternatives first (``appendAlternative(token:logprob:bytes:tokenId:)``), then the token
    /// itself (``appendToken(token:logprob:bytes:tokenId:)``), which takes the alternatives added since the
    /// previous token. A builder is used by one thread and not copied.
    public struct Builder {
        private let body: ByteSink
        private let alternatives = ByteSink(capacity: 512)
        private var alternativeCount = 0
        /// Tokens appended so far.
        public private(set) var tokenCount = 0

        /// Creates a builder with room for about `capacity` bytes.
        public init(capacity: Int = 4096) {
            body = ByteSink(capacity: capacity)
        }

        /// Adds an alternative of the next token.
        public mutating func appendAlternative(token: UnsafeBufferPointer<UInt8>, logprob: Double, bytes: UnsafeBufferPointer<UInt8>?,
                                               tokenId: Int?) {
            putEntry(token: token, logprob: logprob, bytes: bytes, tokenId: tokenId, alternatives)
            alternativeCount += 1
        }

        /// Adds a token with the alternatives added since the previous token.
        public mutating func appendToken(token: UnsafeBufferPointer<UInt8>, logprob: Double, bytes: UnsafeBufferPointer<UInt8>?,
                                         tokenId: Int?) {
            putEntry(token: token, logprob: logprob, bytes: bytes, tokenId: tokenId, body)
            body.appendVarint(UInt64(alternativeCount))
            body.append(alternatives.buffer)
            alternatives.removeAll()
            alternativeCount = 0
            tokenCount += 1
        }

        /// Drops alternatives added since the last token (a repeated `top_logprobs` member replaces the first).
        public mutating func discardAlternatives() {
            alternatives.removeAll()
            alternativeCount = 0
        }

        /// The blob.
        public func finish() -> [UInt8] {
            let header = ByteSink(capacity: 16)
            header.append(magic)
            header.appendVarint(UInt64(tokenCount))
            let head = header.buffer
            let rest = body.buffer
            return Array(unsafeUninitializedCapacity: head.count + rest.count) { out, n in
                _ = out.initialize(from: head)
                if let source = rest.baseAddress { (out.baseAddress! + head.count).initialize(from: source, count: rest.count) }
                n = head.count + rest.count
            }
        }
    }

    /// A growable byte buffer written through a raw pointer (no uniqueness or capacity checks per byte).
    final class ByteSink {
        private(set) var base: UnsafeMutablePointer<UInt8>
        private(set) var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = max(64, capacity)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        /// The bytes as an array.
        var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

        /// The bytes, for appending to another sink.
        var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

        func removeAll() { count = 0 }

        @inline(__always) private func reserve(_ n: Int) {
            if count + n > capacity { grow(count + n) }
        }

        private func grow(_ needed: Int) {
            let newCapacity = max(needed, capacity * 2)
            let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBase.update(from: base, count: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }

        @inline(__always) func append(_ byte: UInt8) {
            reserve(1)
            base[count] = byte
            count += 1
        }

        @inline(__always) func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress, bytes.count > 0 else { return }
            reserve(bytes.count)
            (base + count).update(from: source, count: bytes.count)
            count += bytes.count
        }

        func append(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { append($0) }
        }

        @inline(__always) func appendBits(_ bits: UInt64) {
            reserve(8)
            UnsafeMutableRawPointer(base + count).storeBytes(of: bits.littleEndian, as: UInt64.self)
            count += 8
        }

        @inline(__always) func appendVarint(_ value: UInt64) {
            reserve(10)
            var v = value
            while v >= 0x80 {
                base[count] = UInt8(truncatingIfNeeded: v) | 0x80
                count += 1
                v >>= 7
            }
            base[count] = UInt8(v)
            count += 1
        }
    }
}
