import HarvestCore
import Testing

@Suite struct SHA256Tests {
    static func hex(_ s: some Sequence<UInt8>) -> String { PromptHash.hex(SHA256.digest(s)) }

    @Test func knownVectors() {
        #expect(Self.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Self.hex([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func paddingBoundaries() {
        // Lengths around the 55/56/64-byte padding edges, checked against known digests of 'a'*n.
        let known: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
        ]
        for (n, digest) in known { #expect(Self.hex([UInt8](repeating: 0x61, count: n)) == digest, "n=\(n)") }
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 55, 63, 64, 65, 500, 999, 1000] {
            var s = SHA256()
            s.update(data[..<split])
            s.update(data[split...])
            #expect(s.finalize() == SHA256.digest(data), "split \(split)")
        }
    }

    @Test func mixedChunksAndNonContiguousInputEqualOneShot() {
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        var s = SHA256()
        var i = 0
        var size = 1
        while i < data.count {
            let end = min(data.count, i + size)
            if size.isMultiple(of: 2) {
                s.update(data[i..<end])
            } else {
                s.update(data[i..<end].lazy.map { $0 })  // not contiguous: byte by byte
            }
            i = end
            size = size * 3 % 97 + 1
        }
        #expect(s.finalize() == SHA256.digest(data))
    }
}
