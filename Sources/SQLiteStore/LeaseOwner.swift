#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds a job lease, precisely enough to tell whether that process still runs.
///
/// Stored in `jobs.lease_owner` as `host:pid:start:boot:pidns:nonce`:
/// - `host`: the host name; `pid`: the process id;
/// - `start`: the process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), so a pid reused by
///   another process is not mistaken for the owner;
/// - `boot`: the first 8 hex digits of `/proc/sys/kernel/random/boot_id`, so a pid and start time that come back
///   after a reboot are not mistaken for the owner either;
/// - `pidns`: the inode of the owner's pid namespace (`/proc/self/ns/pid`): two containers with the same host name
///   see different pids, so a pid is only compared inside the namespace it belongs to;
/// - `nonce`: random hex, different for each owner value made (several owners may live in one process).
///
/// ``liveness`` answers from this machine's `/proc`: an owner on this host and in this pid namespace is
/// ``Liveness/alive`` while a process with its pid and start time runs (and is not a zombie), else
/// ``Liveness/dead``; an owner elsewhere (or a legacy `host:pid[:random]` value) is ``Liveness/unknown`` —
/// only its lease expiry can free its jobs.
public struct LeaseOwner: Sendable, Hashable, CustomStringConvertible {
    /// Host name of the owning process.
    public var host: String
    /// Process id of the owner.
    public var pid: Int32
    /// Start time of the owning process, clock ticks since boot (0: unknown).
    public var startTicks: UInt64
    /// First 8 hex digits of the boot id the owner ran under (empty: unknown).
    public var boot: String
    /// Inode of the owner's pid namespace (0: unknown).
    public var pidNamespace: UInt64
    /// Random hex that tells apart owners of one process.
    public var nonce: String

    /// Whether a lease owner's process still runs, as far as this machine can tell.
    public enum Liveness: String, Sendable {
        /// Same host and pid namespace, and the process with that pid and start time runs.
        case alive
        /// Same host and pid namespace, and no such process runs (it ended, or the machine rebooted).
        case dead
        /// Another host or pid namespace, or an owner value without process identity: rely on lease expiry.
        case unknown
    }

    /// Creates an owner value from its parts.
    public init(host: String, pid: Int32, startTicks: UInt64, boot: String, pidNamespace: UInt64, nonce: String) {
        self.host = host
        self.pid = pid
        self.startTicks = startTicks
        self.boot = boot
        self.pidNamespace = pidNamespace
        self.nonce = nonce
    }

    /// Parses a stored `lease_owner`; nil for values of other formats (legacy `host:pid` or `host:pid:random`).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, let pid = Int32(parts[1]), let start = UInt64(parts[2]), let ns = UInt64(parts[4]) else {
            return nil
        }
        self.init(host: String(parts[0]), pid: pid, startTicks: start, boot: String(parts[3]), pidNamespace: ns,
                  nonce: String(parts[5]))
    }

    /// `host:pid:start:boot:pidns:nonce`.
    public var description: String { "\(host):\(pid):\(startTicks):\(boot):\(pidNamespace):\(nonce)" }

    /// This process's owner value for foreground runs: one nonce per process start.
    public static let current = LeaseOwner.thisProcess()

    /// A new owner value for this process, with a fresh nonce (a daemon instance, or a runner that must not
    /// share leases with other runners of the process).
    public static func thisProcess() -> LeaseOwner {
        let here = ProcessView.current
        return LeaseOwner(host: here.host, pid: getpid(), startTicks: ProcessView.startTicks(of: getpid()) ?? 0,
                          boot: here.boot, pidNamespace: here.pidNamespace,
                          nonce: String(UInt32.random(in: 0...UInt32.max), radix: 16))
    }

    /// Whether this owner's process still runs, judged from this process's view of the machine.
    public var liveness: Liveness { liveness(seenFrom: .current) }

    /// `true` when the owner is known alive, `false` when known dead, nil when this machine cannot tell.
    public var isAlive: Bool? {
        switch liveness {
        case .alive: true
        case .dead: false
        case .unknown: nil
        }
    }

    /// Liveness as seen from `view` (tests pass a view of another machine).
    func liveness(seenFrom view: ProcessView) -> Liveness {
        guard !host.isEmpty, host == view.host, pidNamespace != 0, pidNamespace == view.pidNamespace,
              !boot.isEmpty, !view.boot.isEmpty, startTicks != 0 else { return .unknown }
        // The same host under another boot id: the machine rebooted since, so the owner is gone.
        guard boot == view.boot else { return .dead }
        return view.processStart(pid) == startTicks ? .alive : .dead
    }
}

/// This machine as one process sees it: host name, boot id and pid namespace, and the start times of its processes.
struct ProcessView: Sendable {
    var host: String
    var boot: String
    var pidNamespace: UInt64
    /// Start time of a running (non-zombie) process, nil if none runs with that pid.
    var processStart: @Sendable (Int32) -> UInt64?

    /// The view from this process (host name, boot id and namespace read once).
    static let current = ProcessView(host: hostName(), boot: bootPrefix(), pidNamespace: pidNamespaceInode(),
                                     processStart: { ProcessView.startTicks(of: $0) })

    /// Field 22 of `/proc/<pid>/stat`; nil when the process does not exist, is a zombie, or `/proc` is absent.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard pid > 0, let stat = readSmallFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // After "pid (comm)" come fields 3 (state) … 22 (starttime); comm may hold spaces and parentheses.
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count >= 20, let state = fields[0].first else { return nil }
        if state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") || state == UInt8(ascii: "x") { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // ':' separates the owner's fields; host names never contain one, but be safe.
        return name.replacingColons()
    }

    static func bootPrefix() -> String {
        guard let bytes = readSmallFile("/proc/sys/kernel/random/boot_id") else { return "" }
        let hex = bytes.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        return String(decoding: hex.prefix(8), as: UTF8.self)
    }

    /// The inode in `pid:[4026531836]`, the link `/proc/self/ns/pid` points to (0 when unreadable).
    static func pidNamespaceInode() -> UInt64 {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        guard n > 0 else { return 0 }
        let text = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return UInt64(text.filter(\.isNumber)) ?? 0
    }

    /// The first 4 KiB of a small file (the `/proc` files read here are shorter).
    static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            total += n
        }
        return total > 0 ? Array(buffer.prefix(total)) : nil
    }
}

private extension String {
    func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}
