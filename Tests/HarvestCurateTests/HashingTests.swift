import HarvestCurate
import Testing

@Suite("Hashing and parameters")
struct HashingTests {
    /// Stored hashes must stay valid across versions: these values may only change with ``FastHash/version``.
    @Test func fastHashIsStable() {
        #expect(FastHash.version == "fasthash64-v1")
        let values = ["", "a", "abc", "hello world", String(repeating: "0123456789", count: 10)].map { FastHash.hash($0) }
        #expect(values == [0x9322_8a4d_e0ee_c5a2, 0xaced_1252_7fe5_bff8, 0x989b_4a20_9c10_11c9, 0xe7f8_b1dc_8217_1923,
                           0x7365_f006_52a6_3030])
        #expect(ContentHash(of: "hello world") == ContentHash(of: "hello world"))
        #expect(ContentHash(of: "hello world") != ContentHash(of: "hello world."))
        #expect(ContentHash(of: "hello world").hex == "31eb491196ffbf0918980759b896215f")
    }

    @Test func contentHashRoundTrips() throws {
        let h = ContentHash(of: "some normalized text")
        #expect(h.bytes.count == 16)
        #expect(h.hex.count == 32)
        #expect(try ContentHash(bytes: h.bytes) == h)
        #expect(try ContentHash(hex: h.hex) == h)
        #expect(throws: CurationError.self) { try ContentHash(bytes: [1, 2, 3]) }
        #expect(throws: CurationError.self) { try ContentHash(hex: "zz") }
    }

    @Test func paramsAreCanonical() {
        let a = CurationParams(stage: "s", fields: [("b", .number(2)), ("a", .object([("y", .bool(true)), ("x", .number(0.5))]))])
        let b = CurationParams(stage: "s", fields: [("a", .object([("x", .number(0.5)), ("y", .bool(true))])), ("b", .number(2.0))])
        #expect(a.canonicalJSON == #"{"a":{"x":0.5,"y":true},"b":2}"#)
        #expect(a == b)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint.count == 64)
    }

    @Test func stageParamsChangeWithThresholds() {
        let a = CurationConfig(nearDedup: NearDedupConfig(threshold: 0.8)).stageParams
        let b = CurationConfig(nearDedup: NearDedupConfig(threshold: 0.85)).stageParams
        #expect(a.map(\.stage) == [CurationStage.exactDedup, CurationStage.nearDedup])
        #expect(a[0] == b[0])
        #expect(a[1] != b[1])
        #expect(a[1].canonicalJSON.contains(#""threshold":0.8"#))
        #expect(a[1].canonicalJSON.contains(#""prompt_text":"user""#))
    }
}
