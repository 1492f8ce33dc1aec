import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

@Suite struct FingerprintTests {
    @Test func servedAnswersAreCountedPerFingerprint() throws {
        try withServer { server, port in
            let client = try TestHTTPClient(port: port)
            let a = chatBody(seed: 1), b = chatBody(seed: 2), c = chatBody(content: "Another prompt")
            for body in [a, b, c, a] {
                #expect(try client.request("POST", "/v1/chat/completions", body: body).status == 200)
            }
            let legacy = #"{"prompt":"Hi there","max_tokens":2}"#
            #expect(try client.request("POST", "/v1/completions", body: legacy).status == 200)
            let fa = try #require(RequestFingerprint.of(requestBody: Array(a.utf8)))
            let fb = try #require(RequestFingerprint.of(requestBody: Array(b.utf8)))
            let fc = try #require(RequestFingerprint.of(requestBody: Array(c.utf8)))
            let fl = try #require(RequestFingerprint.of(requestBody: Array(legacy.utf8)))
            #expect(server.servedFingerprints() == [fa: 2, fb: 1, fc: 1, fl: 1])
            #expect(fa.count == 64 && fa.allSatisfy(\.isHexDigit))
            let stats = server.stats()
            #expect(stats.completionsServed == 5)
            #expect(stats.requestsReceived == 5)
            #expect(stats.responses(status: 200) == 5)
            #expect(stats.connectionsAccepted == 1)
        }
    }

    @Test func fingerprintIgnoresKeyOrderAndNonIdentifyingFields() throws {
        let one = #"{"model":"m","messages":[{"role":"user","content":"x"}],"seed":3,"max_tokens":5,"temperature":0}"#
        let reordered = #"{ "temperature": 0.0, "max_tokens": 5, "seed": 3, "logprobs": true, "top_logprobs": 4, "messages": [{"role":"user","content":"x"}], "model": "m" }"#
        let otherSeed = #"{"model":"m","messages":[{"role":"user","content":"x"}],"seed":4,"max_tokens":5,"temperature":0}"#
        let f1 = RequestFingerprint.of(requestBody: Array(one.utf8))
        #expect(f1 != nil)
        #expect(f1 == RequestFingerprint.of(requestBody: Array(reordered.utf8)))
        #expect(f1 != RequestFingerprint.of(requestBody: Array(otherSeed.utf8)))
        #expect(RequestFingerprint.of(requestBody: Array("{nope".utf8)) == nil)
    }
}
