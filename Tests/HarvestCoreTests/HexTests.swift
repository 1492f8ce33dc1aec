import HarvestCore
import Testing

@Suite struct HexTests {
    @Test func decodesEitherCaseAndRefusesOddLengthsAndNonDigits() {
        #expect(Hex.decode("00ff10Ab".utf8) == [0x00, 0xff, 0x10, 0xab])
        #expect(Hex.decode("".utf8) == [])
        #expect(Hex.decode("abc".utf8) == nil)
        #expect(Hex.decode("0g".utf8) == nil)
        #expect(Hex.decode(Array("7f".utf8)[...]) == [0x7f])
    }

    @Test func theBufferVersionAgreesWithTheGenericOne() {
        let all = (0...255).map { UInt8($0) }
        let text = Array(all.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined().utf8)
        #expect(text.withUnsafeBufferPointer { Hex.decode($0) } == all)
        #expect(Array(text.map { $0 >= 0x61 ? $0 - 0x20 : $0 }).withUnsafeBufferPointer { Hex.decode($0) } == all)
        for bad in ["0g", "g0", "0 ", ":0", "0/", "@0", "0G", "`0", "abc"] {
            let bytes = Array(bad.utf8)
            #expect(bytes.withUnsafeBufferPointer { Hex.decode($0) } == nil, "\(bad)")
            #expect(Hex.decode(bad.utf8) == nil, "\(bad)")
        }
        #expect([UInt8]().withUnsafeBufferPointer { Hex.decode($0) } == [])
    }
}
