#if canImport(Glibc)
import Glibc
#endif
import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

/// The faults that send a 200 with a hostile or incomplete body, and the slow-body modifier.
@Suite struct BodyFaultTests {
    private func configuration(_ faults: MockFaults) -> MockTeacherConfiguration {
        MockTeacherConfiguration(faults: faults)
    }

    @Test func invalidUTF8BodyIsNotServed() async throws {
        var faults = MockFaults()
        faults.invalidUTF8 = 1
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 200)
            #expect(Array(response.body[7...8]) == [0xFF, 0xFE])
            #expect(String(validating: response.body, as: UTF8.self) == nil)
            #expect(server.servedFingerprints().isEmpty)
            #expect(server.stats().faultsInjected[.invalidUTF8] == 1)
        } }
    }

    @Test func wrongContentTypeStillCarriesAValidAnswer() async throws {
        var faults = MockFaults()
        faults.wrongContentType = 1
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(choices(try response.json()).count == 1)
            #expect(server.servedFingerprints().count == 1)
        } }
    }

    @Test func emptyChoicesIsNotServed() async throws {
        var faults = MockFaults()
        faults.emptyChoices = 1
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 200)
            #expect(try response.json()["choices"]?.arrayValue?.isEmpty == true)
            #expect(server.servedFingerprints().isEmpty)
        } }
    }

    @Test func missingLogprobsAnswerIsServedWithNullLogprobs() async throws {
        var faults = MockFaults()
        faults.missingLogprobs = 1
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody(topLogprobs: 5))
            let choice = try #require(choices(try response.json()).first)
            #expect(choice["logprobs"]?.isNull == true)
            #expect(choice["message"]?["content"]?.stringValue?.isEmpty == false)
            #expect(server.servedFingerprints().count == 1)
        } }
    }

    @Test func slowBodyArrivesWholeButLate() async throws {
        var faults = MockFaults()
        faults.slowBody = 1
        faults.slowBodySeconds = 0.6
        faults.slowBodyChunks = 4
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let client = try TestHTTPClient(port: port, timeout: 5)
            var start = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            let response = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 30))
            var end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &end)
            let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
            #expect(response.complete)
            #expect(choices(try response.json()).count == 1)
            #expect(seconds >= 0.5)
            #expect(server.stats().faultsInjected[.slowBody] == 1)
            #expect(server.servedFingerprints().count == 1)
        } }
    }

    @Test func slowBodyCombinesWithOtherFaults() async throws {
        var faults = MockFaults()
        faults.slowBody = 1
        faults.slowBodySeconds = 0.2
        faults.serverError = 1
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            let response = try TestHTTPClient(port: port, timeout: 5).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 500)
            #expect(response.complete)
            #expect(server.stats().faultsInjected[.slowBody] == 1)
            #expect(server.stats().faultsInjected[.serverError] == 1)
        } }
    }

    @Test func clientThatHangsUpOnASlowBodyIsNotServed() async throws {
        var faults = MockFaults()
        faults.slowBody = 1
        faults.slowBodySeconds = 3
        faults.slowBodyChunks = 2
        let config = configuration(faults)
        try await offPool { try withServer(config) { server, port in
            do {
                let client = try TestHTTPClient(port: port, timeout: 0.5)
                try client.send(TestHTTPClient.requestBytes("POST", "/v1/chat/completions", body: chatBody()))
                _ = client.receiveOnce()
            }  // the client closes its socket here, in the middle of the body
            // The server notices the hang-up during its pause and takes the answer back.
            for _ in 0..<40 where server.stats().openConnections > 0 { usleep(50_000) }
            #expect(server.stats().openConnections == 0)
            #expect(server.servedFingerprints().isEmpty)
        } }
    }
}
