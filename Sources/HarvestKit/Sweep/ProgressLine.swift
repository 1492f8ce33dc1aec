/// Formats sweep progress for people: a bar on a terminal, a plain line in logs.
public struct ProgressLine: Sendable {
    /// Jobs in the sweep.
    public var total: Int
    /// Jobs already done before this run started.
    public var doneBefore: Int

    /// Creates a formatter.
    public init(total: Int, doneBefore: Int) {
        self.total = total
        self.doneBefore = doneBefore
    }

    /// One line: done/total, req/s, tokens/s, ETA, errors. `bar` adds a 24-character bar.
    public func render(_ c: SweepCounters, elapsed: Double, bar: Bool) -> String {
        let done = doneBefore + c.done
        let settled = done + c.failed
        let rate = elapsed > 0 ? Double(c.done) / elapsed : 0
        let tokenRate = elapsed > 0 ? Double(c.completionTokens) / elapsed : 0
        let remaining = max(0, total - settled)
        let eta = rate > 0 ? Self.duration(Double(remaining) / rate) : "--:--"
        let pct = total > 0 ? Double(settled) * 100 / Double(total) : 100
        var s = ""
        if bar {
            let width = 24
            let filled = total > 0 ? min(width, settled * width / total) : width
            s += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        }
        s += "\(done)/\(total) done (\(Self.fixed(pct, 1))%)"
        s += "  \(Self.fixed(rate, 1)) req/s  \(Self.fixed(tokenRate, 0)) tok/s  ETA \(eta)"
        s += "  in flight \(c.inFlight)  retries \(c.retries)  failed \(c.failed)"
        return s
    }

    /// `h:mm:ss` or `m:ss`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let t = Int(seconds.rounded())
        let h = t / 3600, m = (t % 3600) / 60, sec = t % 60
        let mm = m < 10 && h > 0 ? "0\(m)" : "\(m)"
        let ss = sec < 10 ? "0\(sec)" : "\(sec)"
        return h > 0 ? "\(h):\(mm):\(ss)" : "\(mm):\(ss)"
    }

    /// A number with a fixed count of decimals (no Foundation formatting).
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        if decimals == 0 { return "\(scaled)" }
        let sign = scaled < 0 ? "-" : ""
        let a = abs(scaled)
        var frac = "\(a % Int(scale))"
        while frac.count < decimals { frac = "0" + frac }
        return "\(sign)\(a / Int(scale)).\(frac)"
    }
}
