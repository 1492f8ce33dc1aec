/// Where the metrics and health endpoint listens: an IPv4 address and a port.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    /// Dotted IPv4 address, `127.0.0.1` unless the config names another.
    public var host: String
    /// TCP port (0 picks a free one).
    public var port: Int

    /// Creates an address.
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// True for 127.0.0.0/8.
    public var isLoopback: Bool { host.hasPrefix("127.") }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }

    /// Parses `"127.0.0.1:9464"`, `"localhost:9464"`, `":9464"` or `"9464"` (the last two mean loopback).
    /// Returns nil with the reason when the text is not an address.
    public static func parse(_ text: String) -> Result<MetricsAddress, AddressError> {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            let h = text[..<colon]
            portText = text[text.index(after: colon)...]
            if !h.isEmpty { host = h == "localhost" ? "127.0.0.1" : String(h) }
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            return .failure(AddressError(reason: "\"\(text)\" has no valid port (expected host:port, e.g. \"127.0.0.1:9464\")"))
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) else {
            return .failure(AddressError(reason: "\"\(host)\" is not an IPv4 address (use e.g. 127.0.0.1; IPv6 is not supported)"))
        }
        return .success(MetricsAddress(host: host, port: port))
    }

    /// Why an address could not be parsed.
    public struct AddressError: Error, Sendable {
        /// What is wrong.
        public var reason: String
    }
}
