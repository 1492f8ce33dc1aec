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
}
