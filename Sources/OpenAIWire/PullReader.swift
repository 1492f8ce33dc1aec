import HarvestCore
import HarvestJSON

/// A forward-only cursor over a JSON body, used by ``ResponseDecoder`` to pull exactly the fields
/// it needs. Hot paths (whitespace, keys, plain strings, small integers) are scanned here; the rare
/// or heavy cases (escaped strings, numbers, skipping unknown values) go through ``JSONParser``.
struct PullReader {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0
    /// Reads one `logprobs` object into values instead of transcoding it (tests' oracle only).
    typealias ValueDecoder = (inout PullReader) throws(JSONError) -> [TokenLogprob]?
    /// Set only by tests: production always transcodes logprobs into `HLP1` blobs.
    var valueDecoder: ValueDecoder?
    /// Set when decoding stopped at a value that breaks the rules (``WireError/invalidValue(reason:offset:bodyPrefix:)``).
    var invalidValue = false

    /// The current member key as a byte range of `buf` (when it had no escapes).
    private var keyStart = 0
    private var keyCount = 0
    /// The current member key, decoded, when it had escapes.
    private var escapedKey: [UInt8]?
    /// Byte range of the last string read by ``string()``; `lastCount < 0` when it had escapes.
    private var lastStart = 0
    private var lastCount = -1

    init(_ buf: UnsafeBufferPointer<UInt8>) {
        self.buf = buf
    }

    // MARK: Structure

    func error(_ message: String) -> JSONError { JSONError(message, offset: pos) }

    /// An error for a well-formed value that breaks the rules; marks the reader so the decoder reports
    /// ``WireError/invalidValue(reason:offset:bodyPrefix:)``.
    mutating func invalid(_ message: String, at offset: Int) -> JSONError {
        invalidValue = true
        return JSONError(message, offset: offset)
    }

    @inline(__always) mutating func skipWhitespace() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// The next byte after whitespace, or nil at the end.
    @inline(__always) mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < buf.count ? buf[pos] : nil
    }

    /// Consumes a `null` literal if it is next.
    @inline(__always) mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard pos + 4 <= buf.count, buf[pos] == UInt8(ascii: "n"), buf[pos + 1] == UInt8(ascii: "u"),
              buf[pos + 2] == UInt8(ascii: "l"), buf[pos + 3] == UInt8(ascii: "l") else { return false }
        pos += 4
        return true
    }

    /// Opens an object. Returns false (after consuming it) when the value is `null`.
    mutating func openObject(_ what: @autoclosure () -> String) throws(JSONError) -> Bool {
        if consumeNull() { return false }
        guard pos < buf.count else { throw error("unexpected end of input; expected \(what()) object") }
        guard buf[pos] == UInt8(ascii: "{") else { throw error("expected \(what()) to be an object") }
        pos += 1
        return true
    }

    /// Opens an array. Returns false (after consuming it) when the value is `null`.
    mutating func openArray(_ what: @autoclosure () -> String) throws(JSONError) -> Bool {
        if consumeNull() { return false }
        guard pos < buf.count else { throw error("unexpected end of input; expected \(what()) array") }
        guard buf[pos] == UInt8(ascii: "[") else { throw error("expected \(what()) to be an array") }
        pos += 1
        return true
    }

    /// Advances to the next member of an open object and reads its key and the `:`.
    /// Returns false after consuming the closing `}`. `first` must start true for each object.
    @inline(__always) mutating func nextMember(_ first: inout Bool) throws(JSONError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input inside an object") }
        if buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return false
        }
        if first {
            first = false
        } else {
            guard buf[pos] == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            pos += 1
            skipWhitespace()
        }
        try readKey()
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
        pos += 1
        return true
    }

    /// Advances to the next element of an open array. Returns false after consuming the closing `]`.
    @inline(__always) mutating func nextElement(_ first: inout Bool) throws(JSONError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input inside an array") }
        if buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return false
        }
        if first {
            first = false
        } else {
            guard buf[pos] == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            pos += 1
        }
        return true
    }

    @inline(__always) private mutating func readKey() throws(JSONError) {
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a key") }
        let start = pos + 1
        var i = start
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                keyStart = start
                keyCount = i - start
                escapedKey = nil
                pos = i + 1
                return
            }
            if c == UInt8(ascii: "\\") { break }
            i += 1
        }
        var p = JSONParser(buf)
        p.pos = pos
        let key = try p.parseString()
        pos = p.pos
        escapedKey = Array(key.utf8)
    }

    /// True when the current key is exactly `name` (compared as bytes, no allocation).
    @inline(__always) func keyIs(_ name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        let p = name.utf8Start
        if let e = escapedKey {
            return e.count == n && e.withUnsafeBufferPointer { b in (0..<n).allSatisfy { b[$0] == p[$0] } }
        }
        guard keyCount == n else { return false }
        var i = 0
        while i < n {
            if buf[keyStart + i] != p[i] { return false }
            i += 1
        }
        return true
    }

    /// The current key as a String.
    var key: String {
        if let e = escapedKey { return String(decoding: e, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: buf[keyStart..<(keyStart + keyCount)]), as: UTF8.self)
    }

    /// The token id of the current key when it reads `token_id:N`.
    var keyTokenId: Int? {
        if let e = escapedKey { return e.withUnsafeBufferPointer { Self.tokenId($0) } }
        return Self.tokenId(UnsafeBufferPointer(rebasing: buf[keyStart..<(keyStart + keyCount)]))
    }

    /// True when the bytes at the cursor are `prefix`.
    func startsWith(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard pos + n <= buf.count else { return false }
        return (0..<n).allSatisfy { buf[pos + $0] == prefix.utf8Start[$0] }
    }

    // MARK: Values

    /// Reads a string (escapes decoded, invalid UTF-8 replaced by U+FFFD).
    @inline(__always) mutating func string(_ what: @autoclosure () -> String) throws(JSONError) -> String {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected \(what()) to be a string") }
        let start = pos + 1
        var i = start
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                lastStart = start
                lastCount = i - start
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            i += 1
        }
        lastCount = -1
        var p = JSONParser(buf)
        p.pos = pos
        let s = try p.parseString()
        pos = p.pos
        return s
    }

    /// A string, or nil for `null`; any other type is skipped and gives nil.
    mutating func lenientString() throws(JSONError) -> String? {
        guard let c = peek() else { throw error("unexpected end of input") }
        if c == UInt8(ascii: "\"") { return try string("value") }
        try skipValue()
        return nil
    }

    /// The token id of the string last read by ``string(_:)`` (`s`) when it reads `token_id:N`.
    @inline(__always) func tokenIdOfLastString(_ s: String) -> Int? {
        if lastCount >= 0 {
            // Quick reject: the form is "token_id:" plus at least one digit.
            guard lastCount > 9, buf[lastStart] == UInt8(ascii: "t") else { return nil }
            return Self.tokenId(UnsafeBufferPointer(rebasing: buf[lastStart..<(lastStart + lastCount)]))
        }
        var copy = s
        return copy.withUTF8 { Self.tokenId($0) }
    }

    /// Parses vLLM's `token_id:N` token form (`return_tokens_as_token_ids`); nil for any other text.
    static func tokenId(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let prefix: StaticString = "token_id:"
        let n = prefix.utf8CodeUnitCount
        guard bytes.count > n, bytes.count <= n + 20 else { return nil }
        for i in 0..<n where bytes[i] != prefix.utf8Start[i] { return nil }
        var i = n
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < bytes.count else { return nil }
        var value = 0
        while i < bytes.count {
            let d = bytes[i] &- 0x30
            guard d <= 9 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(d))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        return negative ? -value : value
    }
}
