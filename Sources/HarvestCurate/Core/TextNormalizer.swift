import Foundation
import HarvestJSON

/// Normalizes text before hashing: Unicode NFC, case folding, whitespace collapsed to single spaces (and
/// trimmed), and optionally punctuation and symbols replaced by spaces.
///
/// Pure-ASCII text takes a byte-level fast path. Other text is case-folded with Foundation's full case folding
/// (`ß` → `ss`) only when some non-ASCII scalar changes under folding, and NFC-composed with Foundation only when
/// some scalar lies outside ranges that are always NFC on their own (Latin-1/Latin Extended, Cyrillic, CJK
/// ideographs, Hangul syllables).
public struct TextNormalizer: Sendable, Hashable {
    /// Unicode case folding (ASCII: lower case).
    public var caseFold: Bool
    /// Replace punctuation and symbols (Unicode categories P* and S*; in ASCII every printable non-alphanumeric)
    /// by spaces, so `2+2` becomes `2 2` and `don't` becomes `don t`.
    public var stripPunctuation: Bool
    /// Compose to Unicode NFC.
    public var unicodeNFC: Bool

    /// Creates a normalizer. Whitespace is always collapsed.
    public init(caseFold: Bool = true, stripPunctuation: Bool = false, unicodeNFC: Bool = true) {
        self.caseFold = caseFold
        self.stripPunctuation = stripPunctuation
        self.unicodeNFC = unicodeNFC
    }

    /// The parameters as JSON fields (part of each stage's ``CurationParams``).
    public var paramsValue: JSONValue {
        .object([("case_fold", .bool(caseFold)), ("nfc", .bool(unicodeNFC)), ("strip_punctuation", .bool(stripPunctuation))])
    }

    /// The normalized form of `text`.
    public func normalize(_ text: String) -> String {
        var text = text
        if let fast = text.withUTF8({ asciiFastPath($0) }) { return fast }
        return unicodePath(text)
    }

    /// ASCII only: returns nil as soon as a non-ASCII byte is seen. One table lookup per byte.
    private func asciiFastPath(_ src: UnsafeBufferPointer<UInt8>) -> String? {
        let table = Self.tables[(caseFold ? 1 : 0) | (stripPunctuation ? 2 : 0)]
        var ok = true
        let result = table.withUnsafeBufferPointer { map in
            String(unsafeUninitializedCapacity: src.count) { dst in
                var n = 0
                var pendingSpace = false
                for c in src {
                    let m = map[Int(c)]
                    if m == 0 {  // separator
                        pendingSpace = n > 0
                    } else if m == 0xFF {  // non-ASCII or NUL
                        ok = false
                        return 0
                    } else {
                        if pendingSpace {
                            dst[n] = 0x20
                            n += 1
                            pendingSpace = false
                        }
                        dst[n] = m
                        n += 1
                    }
                }
                return n
            }
        }
        return ok ? result : nil
    }

    /// Byte maps for the four (caseFold, stripPunctuation) settings: 0 = separator, 0xFF = take the Unicode path
    /// (non-ASCII, and NUL, which has no output code here), else the output byte.
    private static let tables: [[UInt8]] = (0..<4).map { setting in
        (0..<256).map { i -> UInt8 in
            let c = UInt8(i)
            if c >= 0x80 || c == 0 { return 0xFF }
            if isASCIISpace(c) || (setting & 2 != 0 && isASCIIPunct(c)) { return 0 }
            return setting & 1 != 0 && c >= 0x41 && c <= 0x5A ? c | 0x20 : c
        }
    }

    private func unicodePath(_ input: String) -> String {
        var text = input
        var folded = false
        let needsNFC = unicodeNFC && !text.unicodeScalars.allSatisfy(Self.isStableNFC)
        if needsNFC { text = text.precomposedStringWithCanonicalMapping }
        // Fold after composing (E + U+0300 composes to È, which must fold too), then compose what folding decomposed.
        if caseFold, text.unicodeScalars.contains(where: { $0.value >= 0x80 && $0.properties.changesWhenCaseFolded }) {
            text = text.folding(options: [.caseInsensitive], locale: nil)
            folded = true
            if unicodeNFC, !text.unicodeScalars.allSatisfy(Self.isStableNFC) { text = text.precomposedStringWithCanonicalMapping }
        }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || (stripPunctuation && Self.isPunctOrSymbol(scalar)) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            if scalar.value < 0x80 {
                let c = UInt8(scalar.value)
                out.append(caseFold && !folded && c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
            } else {
                out.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func isASCIISpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    @inline(__always) static func isASCIIPunct(_ c: UInt8) -> Bool {
        (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)
    }

    /// Scalars that are NFC whatever surrounds them: no decomposition, canonical combining class 0, and never
    /// composed with a preceding scalar (a conservative subset of NFC_Quick_Check = Yes).
    static func isStableNFC(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x300 || (v >= 0x400 && v < 0x483) || (v >= 0x4E00 && v < 0xA000) || (v >= 0xAC00 && v < 0xD7A4)
    }

    static func isPunctOrSymbol(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return isASCIIPunct(UInt8(s.value)) }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }
}
