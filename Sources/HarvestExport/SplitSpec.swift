/// A `--split` spec such as `train=0.98,val=0.02`: named fractions of the prompts.
///
/// Rows are assigned by a stable hash of their prompt hash, so every sample of one prompt lands in the same
/// split, and the same prompt lands in the same split on every export.
public struct SplitSpec: Sendable, Equatable, CustomStringConvertible {
    /// One named part.
    public struct Part: Sendable, Equatable {
        /// The name used in file names (`[A-Za-z0-9_]`, at most 64 characters).
        public var name: String
        /// Its share of prompts, in (0, 1].
        public var fraction: Double

        /// Creates a part.
        public init(name: String, fraction: Double) {
            self.name = name
            self.fraction = fraction
        }
    }

    /// The parts in the order given.
    public let parts: [Part]
    private let upperBounds: [Double]

    /// Tolerance on the sum of fractions.
    public static let tolerance = 1e-9

    /// Validates parts: at least one, names `[A-Za-z0-9_]{1,64}` and unique, fractions in (0, 1]
    /// summing to 1 ± ``tolerance``.
    public init(_ parts: [Part]) throws(ExportError) {
        let spec = parts.map { "\($0.name)=\($0.fraction)" }.joined(separator: ",")
        guard !parts.isEmpty else { throw ExportError.invalidSplit(spec: spec, reason: "no parts given") }
        var seen = Set<String>()
        var sum = 0.0
        var bounds: [Double] = []
        for p in parts {
            guard !p.name.isEmpty, p.name.utf8.count <= 64,
                  p.name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F })
            else {
                throw ExportError.invalidSplit(spec: spec, reason: "name \"\(p.name)\" must be 1–64 letters, digits or _")
            }
            guard seen.insert(p.name).inserted else {
                throw ExportError.invalidSplit(spec: spec, reason: "name \"\(p.name)\" appears twice")
            }
            guard p.fraction.isFinite, p.fraction > 0, p.fraction <= 1 else {
                throw ExportError.invalidSplit(spec: spec, reason: "fraction of \"\(p.name)\" must be greater than 0 and at most 1, got \(p.fraction)")
            }
            sum += p.fraction
            bounds.append(sum)
        }
        guard abs(sum - 1) <= Self.tolerance else {
            throw ExportError.invalidSplit(spec: spec, reason: "fractions sum to \(sum), not 1")
        }
        self.parts = parts
        self.upperBounds = bounds
    }

    /// Parses `name=fraction[,name=fraction…]` (spaces around items are ignored).
    public init(parsing text: String) throws(ExportError) {
        var parts: [Part] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingSpaces
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw ExportError.invalidSplit(spec: text, reason: "\"\(trimmed)\" is not name=fraction")
            }
            let name = String(trimmed[..<eq]).trimmingSpaces
            let value = String(trimmed[trimmed.index(after: eq)...]).trimmingSpaces
            guard let fraction = Double(value) else {
                throw ExportError.invalidSplit(spec: text, reason: "\"\(value)\" (for \"\(name)\") is not a number")
            }
            parts.append(Part(name: name, fraction: fraction))
        }
        do {
            try self.init(parts)
        } catch let ExportError.invalidSplit(_, reason) {
            throw ExportError.invalidSplit(spec: text, reason: reason)
        }
    }

    /// `train=0.98,val=0.02`.
    public var description: String { parts.map { "\($0.name)=\($0.fraction)" }.joined(separator: ",") }

    /// The split names in order.
    public var names: [String] { parts.map(\.name) }

    /// The index into ``parts`` for a prompt hash.
    public func index(forPromptHash hash: String) -> Int {
        let u = Self.unitValue(hash)
        for (i, bound) in upperBounds.enumerated() where u < bound { return i }
        return parts.count - 1
    }

    /// The split name for a prompt hash.
    public func name(forPromptHash hash: String) -> String { parts[index(forPromptHash: hash)].name }

    /// A stable value in [0, 1) for a string: FNV-1a 64 over its UTF-8, then the MurmurHash3 finalizer,
    /// top 53 bits. Fixed forever: changing it would move prompts between splits.
    public static func unitValue(_ text: String) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Double(h >> 11) * 0x1p-53
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
