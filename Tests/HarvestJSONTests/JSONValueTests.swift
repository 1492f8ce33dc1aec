import HarvestJSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesAllTypes() throws {
        let v = try JSONValue.parse(#" {"n":null,"t":true,"f":false,"i":-12,"d":2.5e-3,"s":"x","a":[1,[]],"o":{"k":{}}} "#)
        #expect(v["n"] == .null)
        #expect(v["n"]?.isNull == true)
        #expect(v["t"]?.boolValue == true)
        #expect(v["f"]?.boolValue == false)
        #expect(v["i"]?.intValue == -12)
        #expect(v["d"]?.doubleValue == 0.0025)
        #expect(v["d"]?.intValue == nil)
        #expect(v["s"]?.stringValue == "x")
        #expect(v["a"]?.arrayValue?.count == 2)
        #expect(v["o"]?["k"]?.objectValue?.isEmpty == true)
        #expect(v["missing"] == nil)
        #expect(v["s"]?["x"] == nil)
        #expect(v.objectValue?.map(\.0) == ["n", "t", "f", "i", "d", "s", "a", "o"])  // document order
        #expect(["null", "boolean", "number", "string", "array", "object"]
            == [v["n"]!, v["t"]!, v["i"]!, v["s"]!, v["a"]!, v["o"]!].map(\.typeName))
    }

    @Test func errorsCarryOffsets() {
        let cases: [(String, String, Int)] = [
            ("", "unexpected end of input", 0),
            ("{", "expected a string", 1),
            (#"{"a" 1}"#, "expected ':'", 5),
            (#"{"a":}"#, "invalid number", 5),
            ("[1,]", "invalid number", 3),
            ("[1 2]", "expected ']'", 3),
            ("tru", "invalid literal", 0),
            ("nul", "invalid literal", 0),
            (#""abc"#, "unterminated string", 0),
            ("\"a\u{1}\"", "control character in string", 2),
            (#""\x""#, "invalid escape", 2),
            (#""\u12G4""#, "invalid \\u escape", 5),
            (#""\u12""#, "truncated \\u escape", 3),
            ("1 2", "unexpected trailing characters", 2),
            ("-", "invalid number", 0),
            ("1e", "invalid number", 0),
            ("{\"a\":1,}", "expected a string", 7),
        ]
        for (text, message, offset) in cases {
            #expect(throws: JSONError(message, offset: offset), "\(text)") { try JSONValue.parse(text) }
        }
        #expect(JSONError("x", offset: 3).description == "x at byte 3")
    }

    @Test func nestingLimit() {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try JSONValue.parse(#""\ud83d""#) == .string("\u{FFFD}"))  // lone high surrogate
        #expect(try JSONValue.parse(#""\ude00x""#) == .string("\u{FFFD}x"))  // lone low surrogate
        #expect(try JSONValue.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))  // high + non-low
        #expect(try JSONValue.parse(#""\ud83d\ud83d\ude00""#) == .string("\u{FFFD}😀"))
        #expect(try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try JSONValue.parse([0x22, 0x61, 0xFF, 0xC3, 0x22]) == .string("a\u{FFFD}\u{FFFD}"))  // invalid UTF-8
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number(1)]))  // BOM
    }

    @Test func nonFiniteLiterals() throws {
        let v = try JSONValue.parse("[NaN,Infinity,-Infinity]")
        let a = try #require(v.arrayValue).compactMap { $0.doubleValue }
        #expect(a[0].isNaN)
        #expect(a[1] == .infinity)
        #expect(a[2] == -.infinity)
        #expect(v == v)  // NaN equals NaN structurally
        #expect(throws: JSONError.self) { try JSONValue.parse("-NaN") }
        #expect(throws: JSONError.self) { try JSONValue.parse("Inf") }
    }

    @Test func numbersAreCorrectlyRounded() throws {
        let texts = ["0", "-0", "-0.0", "0e10", "1", "-1", "0.1", "0.30000000000000004", "1e23", "8.98846567431158e307",
                     "9007199254740993", "9007199254740992.5", "123456789012345678901234567890", "1.00000000000000000000001",
                     "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
                     "1.7976931348623157e308", "1.7976931348623159e308", "1e400", "-1e400", "1e-400", "0.000000000000000000001234",
                     "-0.0011695867776870728", "-6.876169681549072", "-9999.0", "1E+2", "1e-2", "00012", "1.", "7e0000000000000001"]
        for t in texts {
            let got = try #require(try JSONValue.parse(t).doubleValue, "\(t)")
            #expect(got.bitPattern == Double(t)!.bitPattern, "\(t)")
        }
    }

    @Test func randomDecimalsMatchStrtod() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = String((0..<Int.random(in: 1...22, using: &rng)).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            let split = Int.random(in: 0...digits.count, using: &rng)
            var t = String(digits.prefix(split)).isEmpty ? "0" : String(digits.prefix(split))
            if split < digits.count { t += "." + digits.dropFirst(split) }
            if Bool.random(using: &rng) { t += "e\(Int.random(in: -350...330, using: &rng))" }
            if Bool.random(using: &rng) { t = "-" + t }
            let got = try #require(try JSONValue.parse(t).doubleValue)
            #expect(got.bitPattern == Double(t)!.bitPattern, "\(t)")
            if got.bitPattern != Double(t)!.bitPattern { break }
        }
    }

    @Test func intValueRules() throws {
        #expect(try JSONValue.parse("3.0").intValue == 3)
        #expect(try JSONValue.parse("9007199254740992").intValue == 9_007_199_254_740_992)
        #expect(try JSONValue.parse("1e300").intValue == nil)
        #expect(try JSONValue.parse("NaN").intValue == nil)
        #expect(try JSONValue.parse("\"3\"").intValue == nil)
    }

    @Test func primitives() throws {
        let text = Array(#"  {"skip":{"a":["}",{"b":"\"]"}]},"n":-1.5e2 , "s":"v"}"#.utf8)
        try text.withUnsafeBufferPointer { buf in
            var p = JSONParser(buf)
            var results: [String] = []
            results.append(p.peek().map { String(UnicodeScalar($0)) } ?? "end")
            try p.expect(UInt8(ascii: "{"))
            p.skipWhitespace()
            results.append(try p.parseString())
            try p.expect(UInt8(ascii: ":"))
            try p.skipValue()
            results.append("\(p.consume(UInt8(ascii: ",")))")
            p.skipWhitespace()
            results.append(try p.parseString())
            try p.expect(UInt8(ascii: ":"))
            results.append("\(try p.parseNumber())")
            results.append("\(p.consume(UInt8(ascii: "}")))")
            results.append("\(p.consume(UInt8(ascii: ",")))")
            p.skipWhitespace()
            results.append(try p.parseString())
            try p.expect(UInt8(ascii: ":"))
            results.append(try p.parseValue().jsonString)
            try p.expect(UInt8(ascii: "}"))
            results.append(p.peek().map { String(UnicodeScalar($0)) } ?? "end")
            #expect(results == ["{", "skip", "true", "n", "-150.0", "false", "true", "s", #""v""#, "end"])
            var q = p
            #expect(throws: JSONError("expected '}'", offset: buf.count)) { try q.expect(UInt8(ascii: "}")) }
            #expect(try JSONParser.strtod(buf, 38, 44) == -150)
        }
        #expect(throws: JSONError.self) {
            try Array(#"{"a":[1,2"#.utf8).withUnsafeBufferPointer { buf in
                var p = JSONParser(buf)
                try p.skipValue()
            }
        }
    }
}
