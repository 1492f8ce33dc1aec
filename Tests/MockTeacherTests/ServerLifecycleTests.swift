#if canImport(Glibc)
import Glibc
#endif
import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

@Suite struct ServerLifecycleTests {
    @Test func modelsHealthAndUnknownPaths() throws {
        var configuration = MockTeacherConfiguration()
        configuration.model = "teacher-x"
        try withServer(configuration) { _, port in
            let client = try TestHTTPClient(port: port)
            let models = try client.request("GET", "/v1/models")
            #expect(models.status == 200)
            #expect(models.text == #"{"object":"list","data":[{"id":"teacher-x","object":"model","owned_by":"harvest"}]}"#)
            #expect(try client.request("GET", "/healthz").status == 200)
            let missing = try client.request("GET", "/v2/nothing")
            #expect(missing.status == 404)
            #expect(try missing.json()["error"]?["message"]?.stringValue != nil)
            #expect(try client.request("GET", "/v1/chat/completions").status == 405)
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        try withServer { server, port in
            let client = try TestHTTPClient(port: port)
            let first = try client.request("POST", "/v1/chat/completions", body: chatBody())
            let second = try client.request("GET", "/v1/models")
            #expect(first.status == 200 && second.status == 200)
            #expect(first.header("Connection") == "keep-alive")
            let last = try client.request("GET", "/healthz", headers: ["Connection: close"])
            #expect(last.status == 200)
            #expect(last.header("Connection") == "close")
            #expect(client.receiveOnce() == .closed)
            #expect(server.stats().connectionsAccepted == 1)
            #expect(server.stats().requestsReceived == 3)
        }
    }

    @Test func expectContinueIsHonoured() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            let body = chatBody()
            let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            try client.send(Array(head.utf8))
            #expect(client.receiveOnce() != .timedOut)  // the interim 100 arrives before the body is sent
            try client.send(Array(body.utf8))
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func chunkedRequestBodiesAreRefused() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            try client.send(Array(head.utf8))
            #expect(try client.readResponse().status == 411)
        }
    }

    @Test func stopClosesConnectionsAndFreesThePort() throws {
        let server = MockTeacherServer(MockTeacherConfiguration())
        let port = try server.start()
        #expect(server.port == port)
        let idle = try TestHTTPClient(port: port)
        #expect(try idle.request("GET", "/healthz").status == 200)
        server.stop()
        #expect(idle.receiveOnce() == .closed)
        #expect(throws: TestClientError.self) { try TestHTTPClient(port: port) }
        server.stop()  // idempotent
        var again = MockTeacherConfiguration()
        again.port = port
        let second = MockTeacherServer(again)
        #expect(try second.start() == port)
        #expect(try TestHTTPClient(port: port).request("GET", "/healthz").status == 200)
        second.stop()
    }

    @Test func waitUntilStoppedReturnsAfterStop() throws {
        let server = MockTeacherServer(MockTeacherConfiguration())
        let port = try server.start()
        let stopper = startThread {
            usleep(100_000)
            server.stop()
        }
        server.waitUntilStopped()
        #expect(throws: TestClientError.self) { try TestHTTPClient(port: port) }
        pthread_join(stopper, nil)
    }

    @Test func bindFailureIsReported() throws {
        try withServer { _, port in
            var clash = MockTeacherConfiguration()
            clash.port = port
            let error = #expect(throws: MockTeacherError.self) { try MockTeacherServer(clash).start() }
            if case .bindFailed(_, let failedPort, _)? = error?.reason { #expect(failedPort == port) } else { Issue.record("\(String(describing: error))") }
            #expect(error?.description.hasPrefix("mock teacher: cannot bind 127.0.0.1:\(port)") == true)
            clash.host = "not-an-address"
            #expect(throws: MockTeacherError(.invalidAddress("'not-an-address' is not an IPv4 address"))) {
                try MockTeacherServer(clash).start()
            }
        }
    }

    @Test func twoThousandSimultaneousConnections() throws {
        try withServer { server, port in
            var clients: [TestHTTPClient] = []
            for _ in 0..<2000 { clients.append(try TestHTTPClient(port: port)) }
            let request = TestHTTPClient.requestBytes("GET", "/healthz")
            for client in clients { try client.send(request) }
            var ok = 0
            for client in clients where try client.readResponse().status == 200 { ok += 1 }
            #expect(ok == 2000)
            #expect(server.stats().openConnections == 2000)
            #expect(server.stats().connectionsAccepted == 2000)
        }
    }
}
