import HarvestCore
import HarvestExport
import Testing

@Suite("Streaming SHA-256")
struct DigestTests {
    static func random(_ n: Int, seed: UInt64) -> [UInt8] {
        var x = seed | 1
        return (0..<n).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    @Test(arguments: [false, true])
    func matchesHarvestCoreForEveryLengthAndSplit(portable: Bool) {
        for n in Array(0...200) + [1_000, 4_096, 65_537, 300_001] {
            let data = Self.random(n, seed: UInt64(n) &+ 7)
            let expected = hex(SHA256.digest(data))
            var whole = StreamingSHA256(portable: portable)
            whole.update(data)
            #expect(whole.finalizeHex() == expected, "n=\(n)")
            // The same bytes fed in uneven pieces.
            var pieces = StreamingSHA256(portable: portable)
            var i = 0, step = 1
            while i < n {
                let j = min(n, i + step)
                pieces.update(Array(data[i..<j]))
                i = j
                step = step * 3 % 97 + 1
            }
            #expect(pieces.finalizeHex() == expected, "n=\(n) in pieces")
        }
        var abc = StreamingSHA256(portable: portable)
        abc.update(Array("abc".utf8))
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func reportsHardware() {
        print("SHA-256 hardware instructions: \(StreamingSHA256.hardwareAvailable)")
    }
}
