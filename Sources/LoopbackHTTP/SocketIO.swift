#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the Glibc socket calls the loopback servers (and their tests) need.
public enum SocketIO {
    /// Text for an errno value.
    public static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Creates a listening IPv4 TCP socket bound to `host:port`; returns it and the bound port.
    public static func listen(host: String, port: Int, backlog: Int32) throws(LoopbackHTTPError) -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw .invalidAddress("port \(port) is out of range") }
        let numericHost = host == "localhost" ? "127.0.0.1" : host
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, numericHost, &address.sin_addr) == 1 else {
            throw .invalidAddress("'\(host)' is not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed(errorText(errno)) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound != 0 {
            let text = errorText(errno)
            close(fd)
            throw .bindFailed(host: host, port: port, reason: text)
        }
        if Glibc.listen(fd, backlog) != 0 {
            let text = errorText(errno)
            close(fd)
            throw .listenFailed(text)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    /// Disables Nagle's algorithm so small responses are not delayed.
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes the next `close` send RST instead of FIN.
    public static func setLingerZero(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Sends `first` then `second` completely (one `sendmsg` in the common case). No SIGPIPE.
    /// Returns false when the peer is gone.
    public static func sendAll(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Bool {
        var firstOffset = 0
        var secondOffset = 0
        while firstOffset < first.count || secondOffset < second.count {
            var vectors = (
                iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress.map { $0 + firstOffset }),
                      iov_len: first.count - firstOffset),
                iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress.map { $0 + secondOffset }),
                      iov_len: second.count - secondOffset)
            )
            let sent = withUnsafeMutablePointer(to: &vectors) { pointer -> Int in
                pointer.withMemoryRebound(to: iovec.self, capacity: 2) { iov -> Int in
                    var message = msghdr()
                    message.msg_iov = iov
                    message.msg_iovlen = 2
                    return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                }
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            let fromFirst = min(sent, first.count - firstOffset)
            firstOffset += fromFirst
            secondOffset += sent - fromFirst
        }
        return true
    }

    /// Sends all of `bytes`. Returns false when the peer is gone.
    public static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        sendAll(fd, bytes, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Sleeps up to `seconds`, returning early (true) when `wakeFD` becomes readable
    /// (the server is stopping) or, if `peerFD` is given, when the peer hangs up.
    @discardableResult
    public static func interruptibleSleep(seconds: Double, wakeFD: Int32, peerFD: Int32? = nil) -> Bool {
        guard seconds > 0 else { return false }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let end = Double(deadline.tv_sec) + Double(deadline.tv_nsec) / 1e9 + seconds
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        // POLLRDHUP (0x2000 on Linux; hidden behind _GNU_SOURCE): the peer closed its side.
        if let peerFD { fds.append(pollfd(fd: peerFD, events: 0x2000, revents: 0)) }
        while true {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let remaining = end - (Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
            if remaining <= 0 { return false }
            let rc = poll(&fds, nfds_t(fds.count), Int32(min((remaining * 1000).rounded(.up), 3_600_000)))
            if rc > 0 { return true }
            if rc < 0 && errno != EINTR { return true }
        }
    }
}
