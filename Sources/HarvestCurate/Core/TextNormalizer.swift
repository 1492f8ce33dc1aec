import Foundation
import HarvestJSON

/// Normalizes text before hashing: Unicode NFC, case folding, whitespace collapsed to single spaces (and
/// trimmed), and optionally punctuation and symbols replaced by spaces.
///
/// Pure-ASCII text takes a byte-level fast path (one table lookup per byte). Other text is NFC-composed with
/// Foundation only when some scalar lies outside ranges that are always NFC on their own (Latin-1/Latin Extended,
/// Cyrillic, CJK ideographs, Hangul syllables); then each scalar is classified, and only scalars that change under
/// case folding go through Foundation's full case folding (`ß` → `ss`, `Σ` → `σ`).
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
        if unicodeNFC, !text.unicodeScalars.allSatisfy(Self.isStableNFC) { text = text.precomposedStringWithCanonicalMapping }
        let map = Self.tables[(caseFold ? 1 : 0) | (stripPunctuation ? 2 : 0)]
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 8)
        var pendingSpace = false
        var recompose = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let m = map[Int(v)]
                if m == 0 {
                    pendingSpace = !out.isEmpty
                    continue
                }
                if pendingSpace {
                    out.append(0x20)
                    pendingSpace = false
                }
                out.append(m == 0xFF ? 0 : m)  // 0xFF here is NUL, kept as is
                continue
            }
            let flags = v < 0x10000 ? Self.bmpFlags[Int(v)] : Self.flags(of: scalar)
            if flags & Self.whitespace != 0 || (stripPunctuation && flags & Self.punctuation != 0) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            if caseFold, flags & Self.folds != 0, let lower = Self.simpleFold(v) {
                Self.appendUTF8(lower, to: &out)
            } else if caseFold, flags & Self.folds != 0 {
                // Case folding is a per-code-point mapping, so folding scalar by scalar equals folding the string.
                let folded = String(Character(scalar)).folding(options: [.caseInsensitive], locale: nil)
                out.append(contentsOf: folded.utf8)
                if unicodeNFC, !folded.unicodeScalars.allSatisfy(Self.isStableNFC) { recompose = true }
            } else {
                Self.appendUTF8(v, to: &out)
            }
        }
        let result = String(decoding: out, as: UTF8.self)
        return recompose ? result.precomposedStringWithCanonicalMapping : result
    }

    @inline(__always) static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x800 {
            out.append(UInt8(0xC0 | v >> 6))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | (v >> 6) & 0x3F))
        } else {
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | (v >> 12) & 0x3F))
            out.append(UInt8(0x80 | (v >> 6) & 0x3F))
        }
        out.append(UInt8(0x80 | v & 0x3F))
    }

    /// Case folding of common uppercase letters done inline (CaseFolding.txt status C, one-to-one): Latin-1
    /// À–Þ (not ×), Greek Α–Ω, Cyrillic Ѐ–Я. Nil for anything else (then Foundation folds it).
    @inline(__always) static func simpleFold(_ v: UInt32) -> UInt32? {
        switch v {
        case 0xC0...0xDE where v != 0xD7: v + 0x20
        case 0x391...0x3A9 where v != 0x3A2: v + 0x20
        case 0x410...0x42F: v + 0x20
        case 0x400...0x40F: v + 0x50
        default: nil
        }
    }

    static let whitespace: UInt8 = 1
    static let punctuation: UInt8 = 2
    static let folds: UInt8 = 4

    /// White_Space, punctuation-or-symbol and Changes_When_Casefolded of a scalar.
    static func flags(of s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        return (p.isWhitespace ? whitespace : 0) | (isPunctOrSymbol(s) ? punctuation : 0) | (p.changesWhenCaseFolded ? folds : 0)
    }

    /// ``flags(of:)`` for the Basic Multilingual Plane, computed once (64 KiB): the stdlib's property lookups are
    /// binary searches that would otherwise dominate non-ASCII normalization.
    static let bmpFlags: [UInt8] = (0..<0x10000).map { v in Unicode.Scalar(UInt32(v)).map(flags(of:)) ?? 0 }

    @inline(__always) static func isASCIISpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    @inline(__always) static func isASCIIPunct(_ c: UInt8) -> Bool {
        (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)
    }

    /// Scalars that are NFC whatever surrounds them: no canonical decomposition to a different form, canonical
    /// combining class 0, and never the second of a composition pair (a conservative subset of NFC_Quick_Check =
    /// Yes): Latin-1 and Latin Extended, basic Greek, Cyrillic, Hebrew and Arabic letters, General Punctuation
    /// (dashes, curly quotes), CJK punctuation, kana, CJK ideographs, Hangul syllables, fullwidth ASCII.
    static func isStableNFC(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x300 { return true }
        if v < 0x2000 {
            return (v >= 0x388 && v < 0x3CF) || (v >= 0x400 && v < 0x483) || (v >= 0x5D0 && v < 0x5EB) || (v >= 0x621 && v < 0x64B)
        }
        return (v >= 0x2002 && v < 0x2070) || (v >= 0x3000 && v < 0x302A) || (v >= 0x3041 && v < 0x3097)
            || (v >= 0x30A1 && v < 0x30FB) || (v >= 0x4E00 && v < 0xA000) || (v >= 0xAC00 && v < 0xD7A4)
            || (v >= 0xFF01 && v < 0xFF5F)
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
