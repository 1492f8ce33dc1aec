#if canImport(Glibc)
import Glibc
#endif
import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

@Suite struct FaultInjectionTests {
    private func configuration(_ faults: MockFaults) -> MockTeacherConfiguration {
        MockTeacherConfiguration(faults: faults)
    }

    @Test func rateLimitedCarriesRetryAfter() throws {
        try withServer(configuration(MockFaults(rateLimited: 1, retryAfterSeconds: 0))) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "0")
            #expect(try response.json()["error"]?["code"]?.stringValue == "rate_limit_exceeded")
            #expect(server.stats().faultsInjected[.rateLimited] == 1)
            #expect(server.servedFingerprints().isEmpty)
        }
        try withServer(configuration(MockFaults(rateLimited: 1, retryAfterSeconds: 0.25))) { _, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.header("Retry-After") == "0.25")
        }
    }

    @Test func serverErrorIsA500WithJSON() throws {
        try withServer(configuration(MockFaults(serverError: 1))) { _, port in
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 500)
            #expect(try response.json()["error"]?["type"]?.stringValue == "server_error")
            // GET endpoints are never faulted.
            #expect(try client.request("GET", "/v1/models").status == 200)
        }
    }

    @Test func truncatedBodyIsShorterThanContentLength() throws {
        try withServer(configuration(MockFaults(truncated: 1))) { server, port in
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 30))
            #expect(response.status == 200)
            #expect(response.contentLength > 1000)
            #expect(response.body.count < response.contentLength)
            #expect(!response.complete)
            #expect(client.receiveOnce() == .closed)
            #expect(server.stats().completionsServed == 0)
        }
    }

    @Test func resetClosesWithoutAnswering() throws {
        try withServer(configuration(MockFaults(reset: 1))) { server, port in
            let client = try TestHTTPClient(port: port)
            try client.send(TestHTTPClient.requestBytes("POST", "/v1/chat/completions", body: chatBody()))
            let outcome = client.receiveOnce()
            #expect(outcome == .failed(ECONNRESET) || outcome == .closed)
            #expect(server.stats().faultsInjected[.reset] == 1)
        }
    }

    @Test func stallSendsNothingThenCloses() throws {
        try withServer(configuration(MockFaults(stall: 1, stallSeconds: 2))) { _, port in
            let client = try TestHTTPClient(port: port, timeout: 0.5)
            try client.send(TestHTTPClient.requestBytes("POST", "/v1/chat/completions", body: chatBody()))
            #expect(client.receiveOnce() == .timedOut)
            client.setTimeout(4)
            #expect(client.receiveOnce() == .closed)
        }
    }

    @Test func htmlAnswerHasHTMLContentType() throws {
        try withServer(configuration(MockFaults(html: 1))) { server, port in
            let response = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(response.text.hasPrefix("<html>"))
            #expect((try? response.json()) == nil)
            #expect(server.servedFingerprints().isEmpty)
        }
    }

    @Test func badRequestForOneModel() throws {
        try withServer(configuration(MockFaults(badRequestForModel: "gone-model"))) { _, port in
            let client = try TestHTTPClient(port: port)
            let rejected = try client.request("POST", "/v1/chat/completions", body: chatBody(model: "gone-model"))
            #expect(rejected.status == 400)
            #expect(try rejected.json()["error"]?["code"]?.stringValue == "model_not_found")
            #expect(try rejected.json()["error"]?["type"]?.stringValue == "invalid_request_error")
            let accepted = try client.request("POST", "/v1/chat/completions", body: chatBody(model: "other"))
            #expect(accepted.status == 200)
            #expect(try accepted.json()["model"]?.stringValue == "other")
        }
    }

    @Test func partialRatesAreReproducibleAndRetriesGetFreshDraws() throws {
        func statuses() throws -> [Int] {
            try withServer(configuration(MockFaults(rateLimited: 0.3, serverError: 0.3, seed: 99))) { _, port in
                let client = try TestHTTPClient(port: port)
                var seen: [Int] = []
                for i in 0..<10 {
                    // Each job is retried until it succeeds, as a client would.
                    for _ in 0..<60 {
                        let status = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 2, seed: i)).status
                        seen.append(status)
                        if status == 200 { break }
                    }
                }
                return seen
            }
        }
        let first = try statuses()
        #expect(first == (try statuses()))
        #expect(first.filter { $0 == 200 }.count == 10)
        #expect(first.contains(429) && first.contains(500))
    }
}
