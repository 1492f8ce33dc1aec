#if canImport(Glibc)
import Glibc
#endif

/// GET `path` from 127.0.0.1:`port` over a plain socket (`Connection` left to the server, read until it closes);
/// returns the status and the body, or nil when nothing answered.
public func httpGet(port: Int, path: String, timeout: Double = 10) -> (status: Int, body: String)? {
    guard let client = try? TestHTTPClient(port: port, timeout: timeout) else { return nil }
    guard (try? client.send(TestHTTPClient.requestBytes("GET", path))) != nil else { return nil }
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(client.fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        data += buffer[0..<n]
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return nil }
    return (Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0, String(text[split.upperBound...]))
}
