import HarvestCrypto
import Testing

/// The one SHA-256, both compressors (CPU SHA instructions where present, portable Swift), both APIs
/// (one-shot ``SHA256/digest(_:)`` and streaming ``SHA256/update(_:)-(UnsafeRawBufferPointer)`` + finalize).
@Suite("SHA-256")
struct SHA256Tests {
    /// FIPS 180-4 / NIST CAVP example vectors.
    static let nist: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    static func hex(_ digest: [UInt8]) -> String {
        digest.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    static func random(_ n: Int, seed: UInt64) -> [UInt8] {
        var x = seed | 1
        return (0..<n).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    static func streamed(_ data: [UInt8], portable: Bool, step: (Int) -> Int) -> String {
        var s = SHA256(portable: portable)
        var i = 0, k = 0
        while i < data.count {
            let j = min(data.count, i + max(1, step(k)))
            data[i..<j].withUnsafeBytes { s.update($0) }
            i = j
            k += 1
        }
        return s.finalizeHex()
    }

    @Test func nistVectorsOneShot() {
        for (message, digest) in Self.nist {
            #expect(Self.hex(SHA256.digest(message.utf8)) == digest, "\(message)")
            #expect(SHA256.hexDigest(Array(message.utf8)) == digest, "\(message)")
        }
    }

    @Test(arguments: [false, true])
    func nistVectorsStreamedByteByByte(portable: Bool) {
        for (message, digest) in Self.nist {
            #expect(Self.streamed(Array(message.utf8), portable: portable, step: { _ in 1 }) == digest, "\(message)")
        }
    }

    @Test(arguments: [false, true])
    func millionA(portable: Bool) {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let data = [UInt8](repeating: 0x61, count: 1_000_000)
        var one = SHA256(portable: portable)
        one.update(data)
        #expect(one.finalizeHex() == expected)
        // In odd-sized pieces that straddle block boundaries.
        #expect(Self.streamed(data, portable: portable, step: { [1, 63, 64, 65, 1000, 4097][$0 % 6] }) == expected)
    }

    @Test func paddingBoundaries() {
        // 'a' × n around the 55/56/64-byte padding edges.
        let known: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
        ]
        for (n, digest) in known {
            let data = [UInt8](repeating: 0x61, count: n)
            #expect(Self.hex(SHA256.digest(data)) == digest, "n=\(n)")
            #expect(Self.streamed(data, portable: true, step: { _ in 7 }) == digest, "n=\(n) portable")
        }
    }

    /// Every length up to 200 and a few large ones, every chunking, hardware and portable agree with each other
    /// and with the one-shot API.
    @Test func chunkBoundariesAgreeAcrossAPIsAndCompressors() {
        for n in Array(0...200) + [1_000, 4_096, 65_537, 300_001] {
            let data = Self.random(n, seed: UInt64(n) &+ 7)
            let expected = Self.hex(SHA256.digest(data))
            #expect(Self.streamed(data, portable: true, step: { _ in n + 1 }) == expected, "n=\(n) portable whole")
            #expect(Self.streamed(data, portable: false, step: { k in k * 3 % 97 + 1 }) == expected, "n=\(n) pieces")
            #expect(Self.streamed(data, portable: true, step: { k in k * 5 % 131 + 1 }) == expected, "n=\(n) portable pieces")
            for split in [1, 55, 63, 64, 65] where split < n {
                var s = SHA256()
                s.update(data[..<split])
                data[split...].withUnsafeBufferPointer { s.update(buffer: $0) }
                #expect(s.finalize() == SHA256.digest(data), "n=\(n) split \(split)")
            }
        }
    }

    @Test func nonContiguousSequencesHashLikeArrays() {
        let data = Self.random(5_000, seed: 99)
        var s = SHA256()
        var i = 0, size = 1
        while i < data.count {
            let end = min(data.count, i + size)
            if size.isMultiple(of: 2) { s.update(data[i..<end]) } else { s.update(data[i..<end].lazy.map { $0 }) }
            i = end
            size = size * 3 % 97 + 1
        }
        #expect(s.finalize() == SHA256.digest(data))
    }

    @Test func reportsHardware() {
        print("SHA-256 hardware instructions: \(SHA256.hardwareAvailable)")
    }
}
