import Foundation
import HarvestCurate
import Testing

@Suite("TextNormalizer")
struct NormalizerTests {
    @Test func asciiCaseAndWhitespace() {
        let n = TextNormalizer()
        #expect(n.normalize("  Hello,\t\tWORLD \n again  ") == "hello, world again")
        #expect(n.normalize("") == "")
        #expect(n.normalize(" \n\t ") == "")
    }

    @Test func punctuationStrippingReplacesWithSpace() {
        let n = TextNormalizer(stripPunctuation: true)
        #expect(n.normalize("What's 2+2? (Answer: 4.)") == "what s 2 2 answer 4")
        #expect(n.normalize("«Ça va?» — oui!") == "ça va oui")
    }

    @Test func caseFoldingIsOptional() {
        #expect(TextNormalizer(caseFold: false).normalize("Hello  World") == "Hello World")
        #expect(TextNormalizer(caseFold: false).normalize("Éa  B") == "Éa B")
    }

    @Test func unicodeNFCAndFullCaseFolding() {
        let n = TextNormalizer()
        let decomposed = "Cafe\u{301} CRE\u{300}ME"
        #expect(n.normalize(decomposed) == "caf\u{e9} cr\u{e8}me")
        #expect(n.normalize("café") == n.normalize("CAFE\u{301}"))
        #expect(n.normalize("Straße") == "strasse")
        #expect(n.normalize("ΣΑΣ Ǆemal") == "σασ ǆemal")
        #expect(n.normalize("a\u{00A0}b\u{2003}\u{3000}c") == "a b c")
    }

    @Test func asciiAndUnicodePathsAgree() {
        let n = TextNormalizer(stripPunctuation: true)
        let ascii = "The QUICK, brown fox; jumps over 13 lazy dogs!"
        #expect(n.normalize(ascii + " é") == n.normalize(ascii) + " é")
    }

    /// The inline folding of Latin-1, Greek and Cyrillic capitals agrees with Foundation's full case folding.
    @Test func inlineFoldingAgreesWithFoundation() {
        let n = TextNormalizer()
        for v in UInt32(0xA0)...0x52F {
            guard let scalar = Unicode.Scalar(v), scalar.properties.changesWhenCaseFolded else { continue }
            let s = "x" + String(Character(scalar)) + "y"
            let expected = s.folding(options: [.caseInsensitive], locale: nil).precomposedStringWithCanonicalMapping
            #expect(n.normalize(s) == expected, "U+\(String(v, radix: 16))")
        }
    }

    @Test func nfcCanBeTurnedOff() {
        #expect(TextNormalizer(caseFold: false, unicodeNFC: false).normalize("e\u{301}").unicodeScalars.count == 2)
        #expect(TextNormalizer(caseFold: false).normalize("e\u{301}").unicodeScalars.count == 1)
    }
}
