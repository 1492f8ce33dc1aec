import Foundation
import Logging
import Synchronization

/// One line per event on stderr: `level message key=value …`, metadata keys dotted (`job.id`, `http.status`,
/// `sweep.id`) and sorted. Under systemd (`$JOURNAL_STREAM` set) each line starts with the syslog priority
/// (`<3>`) so journald records the level and adds its own timestamp; elsewhere a UTC timestamp leads the line.
public struct DaemonLogHandler: LogHandler {
    /// The level below which events are dropped.
    public var logLevel: Logger.Level
    /// Metadata attached to every event of this logger.
    public var metadata: Logger.Metadata = [:]
    private let journald: Bool
    private static let output = Mutex(())

    /// Creates a handler; `journald` defaults to whether `$JOURNAL_STREAM` is set.
    public init(level: Logger.Level, journald: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        logLevel = level
        self.journald = journald
    }

    /// Reads or writes one metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one line.
    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line = Self.format(level: event.level, message: "\(event.message)", metadata: all, journald: journald, now: Date())
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// The line for one event (newline included); control characters are escaped so an event is always one line.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata, journald: Bool, now: Date) -> String {
        var s = journald ? "<\(priority(level))>" : timestamp(now) + " "
        s += level.rawValue + " " + oneLine(message)
        for key in metadata.keys.sorted() {
            let value = oneLine("\(metadata[key]!)")
            let needsQuotes = value.isEmpty || value.contains(" ") || value.contains("\"") || value.contains("=")
            s += " " + key + "=" + (needsQuotes ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value)
        }
        return s + "\n"
    }

    /// syslog priority of a level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += " "
            default: out.unicodeScalars.append(scalar.value < 0x20 ? " " : scalar)
            }
        }
        return out
    }

    private static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        let ms = Int((date.timeIntervalSince1970 - Double(t)) * 1000)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(msText)Z"
    }
}
