#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Re-indents compact JSON (two spaces per level) without re-parsing values, so numbers keep their exact text.
enum PrettyJSON {
    static func indent(_ compact: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(compact.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        var i = 0
        func newline(_ out: inout [UInt8], _ depth: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: depth * 2))
        }
        while i < compact.count {
            let c = compact[i]
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else {
                switch c {
                case 0x22: inString = true; out.append(c)
                case 0x7B, 0x5B:
                    out.append(c)
                    let close: UInt8 = c == 0x7B ? 0x7D : 0x5D
                    if i + 1 < compact.count, compact[i + 1] == close {
                        out.append(close)
                        i += 1
                    } else {
                        depth += 1
                        newline(&out, depth)
                    }
                case 0x7D, 0x5D:
                    depth -= 1
                    newline(&out, depth)
                    out.append(c)
                case 0x2C: out.append(c); newline(&out, depth)
                case 0x3A: out.append(c); out.append(0x20)
                default: out.append(c)
                }
            }
            i += 1
        }
        return out
    }
}

/// UTC timestamps as ISO 8601 (`2025-01-02T03:04:05Z`, with milliseconds when not whole).
enum ISOTime {
    static func format(_ unix: Double) -> String {
        var seconds = time_t(unix.rounded(.down))
        var tm = tm()
        gmtime_r(&seconds, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var text = "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))"
        let millis = Int32(((unix - unix.rounded(.down)) * 1000).rounded(.down))
        if millis > 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }
}
