import HarvestJSON
import Testing

@Suite struct JSONWriterTests {
    @Test func automaticCommasAndNesting() {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.int(1)
        w.key("b"); w.beginArray(); w.int(1); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.null(); w.endArray()
        w.key("c"); w.bool(true)
        w.key("d"); w.stringOrNull(nil)
        w.key("e"); w.stringOrNull("x")
        w.key("f"); w.raw(#"{"r":1}"#)
        w.key("g"); w.raw(bytes: Array("[2]".utf8))
        w.key("h"); w.intArray([0, 255])
        w.endObject()
        #expect(w.string == #"{"a":1,"b":[1,{},[],null],"c":true,"d":null,"e":"x","f":{"r":1},"g":[2],"h":[0,255]}"#)
        w.reset()
        w.beginArray(); w.bool(false); w.endArray()
        #expect(w.string == "[false]")
    }

    @Test func stringEscaping() {
        var w = JSONWriter()
        w.string("q\" b\\ n\n r\r t\t b\u{8} f\u{C} c\u{1}\u{1F} del\u{7F} / é 😀 \u{2028}")
        #expect(w.string == #""q\" b\\ n\n r\r t\t b\b f\f c\u0001\u001f del\#u{7F} / é 😀 \#u{2028}""#)
        // Keys are escaped the same way.
        var k = JSONWriter()
        k.beginObject(); k.key("a\"b"); k.int(0); k.endObject()
        #expect(k.string == #"{"a\"b":0}"#)
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let s = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        var w = JSONWriter()
        w.string(s)
        #expect(try JSONValue.parse(w.bytes) == .string(s))
    }

    @Test func integers() {
        var w = JSONWriter()
        w.beginArray()
        for v in [0, 7, -7, 1_000_000, Int.max, Int.min] { w.int(v) }
        w.endArray()
        #expect(w.string == "[0,7,-7,1000000,9223372036854775807,-9223372036854775808]")
    }

    @Test func doubles() {
        var w = JSONWriter()
        w.beginArray()
        for v in [0.0, -0.0, 1.0, 0.1, -0.0011695867776870728, 1e-300, .leastNonzeroMagnitude, 1.7976931348623157e308, .nan, .infinity, -.infinity] {
            w.double(v)
        }
        w.endArray()
        #expect(w.string == "[0.0,-0.0,1.0,0.1,-0.0011695867776870727,1e-300,5e-324,1.7976931348623157e+308,null,9999.0,-9999.0]")
    }

    @Test func finiteDoublesRoundTripBitExact() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let d = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng))
            guard d.isFinite else { continue }
            var w = JSONWriter()
            w.double(d)
            #expect(try JSONValue.parse(w.bytes).doubleValue?.bitPattern == d.bitPattern, "\(w.string)")
        }
    }

    @Test func valueWriting() {
        let v: JSONValue = .object([
            ("i", .number(20)), ("f", .number(0.5)), ("z", .number(-0.0)), ("big", .number(1e16)),
            ("s", .string("x")), ("a", .array([.null, .bool(true)])), ("o", .object([])),
        ])
        #expect(v.jsonString == #"{"i":20,"f":0.5,"z":-0.0,"big":1e+16,"s":"x","a":[null,true],"o":{}}"#)
    }
}

/// Doubles are written exactly as `description` gives them (shortest round-trip form).
@Suite struct JSONWriterDoubleTests {
    @Test func doublesMatchDescriptionExactly() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 0.1, -0.123456789012345678, 1e-300, -1e300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude,
                                -Double.leastNormalMagnitude, 123456789012345680, -2.5, 1e16, 1e15, 9999.0]
        for _ in 0..<20_000 {
            values.append(-Double.random(in: 0..<30, using: &generator))
            values.append(Double(bitPattern: generator.next()))
            values.append(Double(-Float.random(in: 0..<20, using: &generator)))  // float32 logprobs as vLLM sends them
        }
        for v in values where v.isFinite {
            var w = JSONWriter()
            w.double(v)
            #expect(w.string == v.description, "\(v.bitPattern)")
        }
    }
}

/// The fast paths of the export loops write what the general calls write.
@Suite struct JSONWriterFastPathTests {
    @Test func asciiKeysTokenIdStringsAndIntArraysMatchTheGeneralWriters() throws {
        var fast = JSONWriter()
        var slow = JSONWriter()
        var generator = SystemRandomNumberGenerator()
        fast.beginArray(); slow.beginArray()
        for n in [0, 1, 7, 99, 100, 101, 133, 134, 400, 1000] {
            let values = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let id = Int.random(in: -5...200_000, using: &generator)
            fast.beginObject(); slow.beginObject()
            fast.key(ascii: "bytes"); slow.key("bytes")
            fast.intArray(values); slow.intArray(values.lazy.map { $0 })
            fast.key(ascii: "token"); slow.key("token")
            fast.string(ascii: "token_id:", id); slow.string("token_id:" + String(id))
            fast.endObject(); slow.endObject()
        }
        fast.endArray(); slow.endArray()
        #expect(fast.string == slow.string)
        #expect(try JSONValue.parse(fast.bytes).arrayValue?.count == 10)
    }
}
