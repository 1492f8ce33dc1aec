import HarvestCore
import HarvestCrypto
import HarvestExport
import Testing

@Suite("Split spec")
struct SplitSpecTests {
    @Test func parsesNamesAndFractions() throws {
        let spec = try SplitSpec(parsing: "train=0.98, val=0.02")
        #expect(spec.names == ["train", "val"])
        #expect(spec.parts.map(\.fraction) == [0.98, 0.02])
        #expect(spec.description == "train=0.98,val=0.02")
        #expect(try SplitSpec(parsing: "a=0.1,b=0.2,c=0.7").names == ["a", "b", "c"])
        #expect(try SplitSpec(parsing: "all=1").names == ["all"])
    }

    @Test(arguments: [
        ("train=0.9,val=0.05", "sum to"), ("train=0.98,train=0.02", "appears twice"), ("train", "is not name=fraction"),
        ("train=abc,val=1", "is not a number"), ("=1", "must be 1–64"), ("tr ain=1", "must be 1–64"), ("a/b=1", "must be 1–64"),
        ("train=1.5,val=-0.5", "greater than 0"), ("train=0,val=1", "greater than 0"), ("", "is not name=fraction"),
        ("train=1,", "is not name=fraction"), ("train=nan", "greater than 0"),
    ])
    func rejectsBadSpecs(spec: String, reason: String) {
        #expect {
            _ = try SplitSpec(parsing: spec)
        } throws: { error in
            guard let e = error as? ExportError, case .invalidSplit(let s, let r) = e else { return false }
            return s == spec && r.contains(reason) && e.description.contains("e.g. train=0.98,val=0.02")
        }
    }

    @Test func acceptsRoundingWithinTolerance() throws {
        _ = try SplitSpec(parsing: "a=0.1,b=0.2,c=0.3,d=0.4")
        _ = try SplitSpec([SplitSpec.Part(name: "a", fraction: 1.0 / 3), .init(name: "b", fraction: 1.0 / 3), .init(name: "c", fraction: 1.0 / 3)])
        #expect(throws: ExportError.self) { try SplitSpec(parsing: "a=0.5,b=0.500001") }
    }

    @Test func assignmentIsStableAndFollowsFractions() throws {
        let spec = try SplitSpec(parsing: "train=0.98,val=0.02")
        let again = try SplitSpec(parsing: "train=0.98,val=0.02")
        var counts = [0, 0]
        for i in 0..<10_000 {
            let hash = hex(SHA256.digest(Array("prompt \(i)".utf8)))
            let index = spec.index(forPromptHash: hash)
            #expect(index == again.index(forPromptHash: hash))
            counts[index] += 1
        }
        // Binomial sd for 2% of 10,000 is 14 rows; allow ±50 (3.5 sd).
        #expect(abs(counts[1] - 200) <= 50, "val got \(counts[1]) of 10,000")
    }

    /// Pinned values: changing the hash would silently move prompts between splits of later exports.
    @Test func hashIsPinned() throws {
        #expect(SplitSpec.unitValue("aa01") == 0.8671894107161086)
        #expect(SplitSpec.unitValue("") == 0.93676944839044)
        let halves = try SplitSpec(parsing: "a=0.5,b=0.5")
        #expect((0..<16).map { halves.index(forPromptHash: "p\($0)") } == [0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1])
    }

    @Test func unitValuesSpreadEvenly() {
        var buckets = [Int](repeating: 0, count: 10)
        for i in 0..<10_000 { buckets[min(9, Int(SplitSpec.unitValue("h\(i)") * 10))] += 1 }
        for b in buckets { #expect(abs(b - 1000) <= 150, "\(buckets)") }
    }
}
