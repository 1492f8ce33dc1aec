#if canImport(Glibc)
import Glibc
#endif
import HarvestTestSupport
import LoopbackHTTP
import Testing

/// Echoes the path and body length; refusals answer with their status and message.
final class EchoResponder: HTTPResponder {
    func respond(to request: HTTPRequestHead, body: UnsafeBufferPointer<UInt8>, on channel: HTTPChannel) -> Bool {
        let text = "\(request.method) \(request.path) \(body.count)"
        return channel.sendResponse(status: 200, contentType: "text/plain", body: Array(text.utf8), keepAlive: request.keepAlive)
    }

    func refuse(status: Int, message: String, on channel: HTTPChannel) {
        _ = channel.sendResponse(status: status, contentType: "text/plain", body: Array(message.utf8), keepAlive: false)
    }
}

@Suite struct HTTPServerTests {
    static func server(_ configure: (inout HTTPServerOptions) -> Void = { _ in }) throws -> (HTTPServer, Int) {
        var options = HTTPServerOptions()
        configure(&options)
        let server = HTTPServer(options) { EchoResponder() }
        return (server, try server.start())
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await offPool {
            let (server, port) = try Self.server()
            defer { server.stop() }
            let client = try TestHTTPClient(port: port)
            for i in 0..<3 {
                let response = try client.request("POST", "/echo?q=\(i)", body: String(repeating: "x", count: i * 10))
                #expect(response.status == 200 && response.text == "POST /echo \(i * 10)")
            }
            let stats = server.stats()
            #expect(stats.connectionsAccepted == 1 && stats.requestsReceived == 3)
        }
    }

    @Test func idleKeepAliveIsNotTimedButAStartedHeadIs() async throws {
        try await offPool {
            let (server, port) = try Self.server { $0.headDeadline = 0.5 }
            defer { server.stop() }
            let client = try TestHTTPClient(port: port)
            #expect(try client.request("GET", "/first").status == 200)
            usleep(900_000)  // idle between requests, longer than the deadline
            #expect(try client.request("GET", "/second").text == "GET /second 0")
            try client.send(Array("GET /third HT".utf8))  // a head begun and never finished
            client.setTimeout(5)
            #expect(client.receiveOnce() == .closed)
            #expect(server.stats().headDeadlinesMissed == 1)
        }
    }

    @Test func oversizedHeadAndChunkedBodiesAreRefused() async throws {
        try await offPool {
            let (server, port) = try Self.server { $0.maxHeadBytes = 1024; $0.maxBodyBytes = 10 }
            defer { server.stop() }
            let big = try TestHTTPClient(port: port)
            #expect(try big.request("GET", "/", headers: ["X-Big: " + String(repeating: "b", count: 4096)]).status == 431)
            let chunked = try TestHTTPClient(port: port)
            #expect(try chunked.request("POST", "/", headers: ["Transfer-Encoding: chunked"]).status == 411)
            let large = try TestHTTPClient(port: port)
            #expect(try large.request("POST", "/", body: String(repeating: "y", count: 11)).status == 413)
            let malformed = try TestHTTPClient(port: port)
            try malformed.send(Array("NONSENSE\r\n\r\n".utf8))
            #expect(try malformed.readResponse().status == 400)
        }
    }

    @Test func stopClosesIdleConnectionsAndFreesThePort() async throws {
        try await offPool {
            let (server, port) = try Self.server()
            let client = try TestHTTPClient(port: port)
            #expect(try client.request("GET", "/").status == 200)
            server.stop()
            #expect(client.receiveOnce() == .closed)
            #expect(server.stats().openConnections == 0)
            #expect((try? TestHTTPClient(port: port)) == nil)
            #expect(throws: LoopbackHTTPError.alreadyStarted) { try server.start() }
        }
    }
}
