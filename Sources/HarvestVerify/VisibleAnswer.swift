#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of a response a final answer may be taken from: the content without its reasoning.
///
/// The separate reasoning field (`reasoning_content`) is never passed here. Inside the content every
/// `<think>…</think>` block is removed, and an unclosed `<think>` hides everything after it (the answer was cut off
/// while the model was still reasoning).
public enum VisibleAnswer {
    /// The content's bytes with reasoning blocks removed.
    public static func bytes(of content: String) -> [UInt8] {
        withVisible(content) { Array($0) }
    }

    /// Calls `body` with the content's visible bytes: the content's own UTF-8 storage when it has no `<think>` (no
    /// copy: most answers), else a copy with the reasoning blocks removed.
    public static func withVisible<R>(_ content: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = content
        return s.withUTF8 { buf in
            guard ByteSearch.find(buf, "<think>", from: 0) != nil else { return body(buf) }
            var out = [UInt8]()
            out.reserveCapacity(buf.count)
            var i = 0
            while i < buf.count {
                guard let open = ByteSearch.find(buf, "<think>", from: i) else {
                    out.append(contentsOf: buf[i...])
                    break
                }
                out.append(contentsOf: buf[i..<open])
                guard let close = ByteSearch.find(buf, "</think>", from: open + 7) else { break }
                i = close + 8
            }
            return out.withUnsafeBufferPointer(body)
        }
    }
}

/// Byte-level search helpers (ASCII needles).
enum ByteSearch {
    /// First index of `needle` in `buf` at or after `from` (candidates found with `memchr`).
    static func find(_ buf: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from: Int) -> Int? {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        guard n > 0, buf.count >= n, let base = buf.baseAddress else { return nil }
        var i = from
        let first = Int32(p[0])
        while i <= buf.count - n {
            guard let hit = memchr(base + i, first, buf.count - n + 1 - i) else { return nil }
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var k = 1
            while k < n && buf[i + k] == p[k] { k += 1 }
            if k == n { return i }
            i += 1
        }
        return nil
    }

    /// Whether `needle` occurs in `buf` at `at` (ASCII letters compared case-insensitively when asked).
    @inline(__always)
    static func matches(_ buf: UnsafeBufferPointer<UInt8>, _ needle: StaticString, at: Int, caseInsensitive: Bool = false) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard at >= 0, at + n <= buf.count else { return false }
        let p = needle.utf8Start
        var k = 0
        while k < n && equal(buf[at + k], p[k], caseInsensitive) { k += 1 }
        return k == n
    }

    /// Last index of `needle` in `buf` strictly before `before`, compared case-insensitively for ASCII letters.
    static func findLast(_ buf: UnsafeBufferPointer<UInt8>, _ needle: StaticString, before: Int,
                         caseInsensitive: Bool = false) -> Int? {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        guard n > 0 else { return nil }
        var i = min(before, buf.count) - n
        while i >= 0 {
            var k = 0
            while k < n && equal(buf[i + k], p[k], caseInsensitive) { k += 1 }
            if k == n { return i }
            i -= 1
        }
        return nil
    }

    @inline(__always) static func equal(_ a: UInt8, _ b: UInt8, _ ci: Bool) -> Bool {
        if a == b { return true }
        guard ci else { return false }
        return lower(a) == lower(b)
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
}
