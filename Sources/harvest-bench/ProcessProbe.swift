import Foundation

/// CPU, memory and load readings from /proc, and the mock teacher as a child process.
enum ProcessProbe {
    /// CPU seconds (user + system) of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU seconds (user + system) of process `pid` so far, from /proc/PID/stat.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds per thread of this process (name, seconds), busiest first.
    static func threadCPU() -> [(String, Double)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var out: [(String, Double)] = []
        for tid in tasks {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            out.append(("\(name)#\(tid)", (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))))
        }
        return out.sorted { $0.1 > $1.1 }
    }

    /// Peak resident set size of this process since the last ``resetPeakRSS()``, MiB.
    static func peakRSSMiB() -> Double { statusField("VmHWM:") / 1024 }

    /// Current resident set size, MiB.
    static func rssMiB() -> Double { statusField("VmRSS:") / 1024 }

    /// The resident set size in MiB from /proc/self/statm, read without Foundation (a sampler calls it every few
    /// milliseconds inside the process being measured, so it must cost next to no CPU).
    static func residentMiB() -> Double {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buf -> Double in
            let n = read(fd, buf.baseAddress!, 128)
            guard n > 0 else { return 0 }
            // "size resident shared …" in pages: the second field.
            var i = 0
            while i < n && buf[i] != 0x20 { i += 1 }
            i += 1
            var pages = 0
            while i < n, buf[i] >= 0x30, buf[i] <= 0x39 { pages = pages * 10 + Int(buf[i] - 0x30); i += 1 }
            return Double(pages) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
        }
    }

    /// Resets the peak RSS to the current RSS (Linux `clear_refs` 5).
    static func resetPeakRSS() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    private static func statusField(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// The 1-minute load average.
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Starts `harvest mock-teacher` (next to this binary) on a free port; returns the process and its base URL.
    static func startMock(latencyMs: Double, extra: [String] = []) throws -> (Process, String) {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("harvest")
        let process = Process()
        process.executableURL = exe
        process.arguments = ["mock-teacher", "--port", "0", "--latency-ms", "\(latencyMs)"] + extra
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        while !buffer.contains(0x0A) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { fatalError("mock teacher exited before printing its port") }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: "127.0.0.1:"),
              let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else { fatalError("cannot read the port from: \(line)") }
        return (process, "http://127.0.0.1:\(port)/v1")
    }

    /// Stops a mock started by ``startMock(latencyMs:extra:)``.
    static func stop(_ process: Process) {
        process.terminate()
        process.waitUntilExit()
    }
}
