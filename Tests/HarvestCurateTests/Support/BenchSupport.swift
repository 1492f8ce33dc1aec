import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process memory figures from /proc/self/status (Linux).
enum ProcessMemory {
    /// `VmHWM` (peak resident set) in MiB, or 0 when unavailable.
    static var peakMiB: Double { field("VmHWM:") }
    /// `VmRSS` (current resident set) in MiB.
    static var currentMiB: Double { field("VmRSS:") }

    /// Anonymous memory in transparent huge pages (MiB).
    static var hugePagesMiB: Double {
        guard let text = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("AnonHugePages:") {
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        return 0
    }

    /// Returns freed heap to the system and resets the peak to the current RSS (`/proc/self/clear_refs` 5).
    static func resetPeak() {
        #if canImport(Glibc)
        // glibc's malloc_trim is not in the Glibc module; RTLD_DEFAULT is the null handle.
        if let symbol = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        #endif
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    private static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        return 0
    }
}

/// Reads a file's lines in chunks without holding the whole file.
struct LineChunks {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var done = false

    init(path: String) throws { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }

    /// Up to `count` next lines, or empty at the end.
    mutating func next(_ count: Int) throws -> [String] {
        var lines = [String]()
        while lines.count < count {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                lines.append(String(decoding: buffer[start..<nl], as: UTF8.self))
                start = nl + 1
                continue
            }
            if done {
                if start < buffer.count { lines.append(String(decoding: buffer[start...], as: UTF8.self)) }
                buffer = []
                start = 0
                break
            }
            buffer.removeSubrange(..<start)
            start = 0
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            if data.isEmpty { done = true } else { buffer.append(contentsOf: data) }
        }
        return lines
    }
}

/// Seconds elapsed since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// CPU seconds (user + system) used by this process so far, all threads.
func cpuSeconds() -> Double {
    var usage = rusage()
    _ = getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
