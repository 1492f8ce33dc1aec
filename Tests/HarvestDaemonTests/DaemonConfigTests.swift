import HarvestCore
import HarvestKit
import Testing
@testable import HarvestDaemon

@Suite struct DaemonConfigTests {
    static let full = """
        {
          "database": {"path": "state/harvest.sqlite", "rescue_file": "/var/lib/harvest/rescue.jsonl"},
          "server": {"metrics_address": "127.0.0.1:9464"},
          "drain_seconds": 45, "lease_seconds": 90, "poll_seconds": 2,
          "teachers": [
            {"name": "vllm", "base_urls": ["http://10.0.0.1:8000/v1/", "http://10.0.0.2:8000/v1"], "model": "Qwen/Qwen2.5-7B-Instruct",
             "endpoint": "chat", "api_key_env": "VLLM_KEY",
             "limits": {"max_in_flight": 128, "rpm": 6000, "tpm": 2000000, "adaptive": true},
             "prices": {"input_per_million": 0.15, "output_per_million": 0.6},
             "sampling": {"max_tokens": 512, "temperature": 0.7, "logprobs": 5, "stop": ["</s>"]},
             "max_attempts": 5, "connect_timeout": 5, "total_timeout": 300, "keep_raw": true}
          ],
          "sweeps": [
            {"name": "nightly-math", "prompt_set": "math", "teacher": "vllm", "samples": 4,
             "sampling": {"temperature": 1.0, "seed": 7}, "schedule": "daily 02:00", "budget": 25},
            {"name": "from-file", "prompt_file": "prompts/demo.jsonl", "teacher": "vllm"}
          ]
        }
        """

    @Test func readsEveryKey() throws {
        let c = try DaemonConfig.parse(Array(Self.full.utf8), file: "/etc/harvest/harvest.json")
        #expect(c.databasePath == "/etc/harvest/state/harvest.sqlite")
        #expect(c.rescueFile == "/var/lib/harvest/rescue.jsonl")
        #expect(c.metricsAddress == MetricsAddress(host: "127.0.0.1", port: 9464))
        #expect(c.drainSeconds == 45 && c.leaseSeconds == 90 && c.pollSeconds == 2)
        let t = try #require(c.teacher(named: "vllm"))
        #expect(t.baseURLs == ["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1"])
        #expect(t.limits == TeacherLimits(maxInFlight: 128, requestsPerMinute: 6000, tokensPerMinute: 2_000_000, adaptive: true))
        #expect(t.prices?.inputPerMillion == 0.15 && t.prices?.outputPerMillion == 0.6)
        #expect(t.maxAttempts == 5 && t.connectTimeout == 5 && t.totalTimeout == 300 && t.keepRaw)
        let s = try #require(c.sweep(named: "nightly-math"))
        #expect(s.promptSet == "math" && s.samples == 4 && s.budget == 25 && s.schedule == "daily 02:00")
        // The sweep's sampling overrides the teacher's defaults key by key.
        #expect(s.params == SamplingParams(maxTokens: 512, temperature: 1.0, seed: 7, stop: ["</s>"], topLogprobs: 5))
        let f = try #require(c.sweep(named: "from-file"))
        #expect(f.promptFile == "/etc/harvest/prompts/demo.jsonl" && f.promptSet == "from-file" && f.budget == nil)
        #expect(c.resolveDatabase(flag: nil, environment: ["HARVEST_DB": "/elsewhere"]) == "/etc/harvest/state/harvest.sqlite")
        #expect(c.resolveDatabase(flag: "x.sqlite") == "x.sqlite")
        #expect(c.resolveRescueFile(database: "/d/h.sqlite") == "/var/lib/harvest/rescue.jsonl")
    }

    @Test(arguments: [
        ("{\"teachers\": [{\"name\": \"a\", \"model\": \"m\"}]}", "teachers[0].base_url", "missing"),
        ("{\"teachers\": [{\"name\": \"a\", \"base_url\": \"ftp://x\", \"model\": \"m\"}]}", "teachers[0].base_url", "http"),
        ("{\"teachers\": [{\"name\": \"a\", \"base_url\": \"http://x/v1\", \"model\": \"m\", \"limits\": {\"max_in_flight\": 0}}]}",
         "teachers[0].limits.max_in_flight", "at least 1"),
        ("{\"teachers\": [{\"name\": \"a\", \"base_url\": \"http://x/v1\", \"model\": \"m\", \"limts\": {}}]}", "teachers[0].limts", "unknown key"),
        ("{\"sweeps\": [{\"name\": \"s\", \"prompt_set\": \"p\", \"teacher\": \"nobody\"}]}", "sweeps[0].teacher", "no teacher named"),
        ("{\"teachers\": [{\"name\": \"a\", \"base_url\": \"http://x/v1\", \"model\": \"m\"}], \"sweeps\": [{\"name\": \"s\", \"teacher\": \"a\"}]}",
         "sweeps[0].prompt_set", "missing"),
        ("{\"teachers\": [{\"name\": \"a\", \"base_url\": \"http://x/v1\", \"model\": \"m\"}], \"sweeps\": [{\"name\": \"s\", \"teacher\": \"a\", \"prompt_set\": \"p\", \"budget\": -1}]}",
         "sweeps[0].budget", "at least 0"),
        ("{\"server\": {\"metrics_address\": \"[::1]:9464\"}}", "server.metrics_address", "IPv4"),
        ("{\"drain_seconds\": \"30\"}", "drain_seconds", "expected a number"),
    ])
    func errorsNameTheFieldPath(_ text: String, _ field: String, _ fragment: String) {
        #expect {
            _ = try DaemonConfig.parse(Array(text.utf8), file: "/etc/harvest/harvest.json")
        } throws: { error in
            guard let e = error as? DaemonConfigError else { return false }
            return e.field == field && e.description.contains(fragment) && e.description.hasPrefix("/etc/harvest/harvest.json: field \"\(field)\"")
        }
    }

    @Test func aFlatConfigGetsTheNewFormatSnippet() throws {
        let flat = """
            {"teacher": {"base_url": "http://x/v1", "model": "m", "api_key_env": "K"}, "sampling": {"max_tokens": 9},
             "samples": 3, "concurrency": 12, "connect_timeout_s": 4}
            """
        var message = ""
        #expect {
            _ = try DaemonConfig.parse(Array(flat.utf8), file: "h.json")
        } throws: { error in
            message = "\(error)"
            return (error as? DaemonConfigError)?.field == "teacher"
        }
        #expect(message.hasPrefix("h.json: field \"teacher\": the flat config format"))
        // The printed snippet is itself a valid config with the same settings.
        let snippet = String(message[try #require(message.firstIndex(of: "{"))...])
        let converted = try DaemonConfig.parse(Array(snippet.utf8), file: "snippet.json")
        let t = try #require(converted.teachers.first)
        #expect(t.baseURLs == ["http://x/v1"] && t.model == "m" && t.apiKeyEnv == "K")
        #expect(t.limits.maxInFlight == 12 && t.sampling.maxTokens == 9 && t.connectTimeout == 4)
        #expect(converted.sweeps.first?.samples == 3)
    }

    @Test func trafficKeysAreRead() throws {
        let text = """
            {"teachers": [{"name": "t", "base_urls": ["http://a/v1", "http://b/v1"], "model": "m",
              "limits": {"max_in_flight": 9, "rpm": 60, "tpm": 1000, "rps": 2, "adaptive": true},
              "first_byte_timeout": 5, "idle_timeout": 7, "total_timeout": 99, "connect_timeout": 3, "max_response_mb": 2,
              "breaker_failures": 4, "breaker_cooldown": 1.5, "fail_fast_window": 20, "fail_fast_error_rate": 0.25,
              "fail_fast_unavailable": 30, "fail_fast_cooldown": 60}]}
            """
        let t = try #require(try DaemonConfig.parse(Array(text.utf8), file: "h.json").teachers.first)
        #expect(t.limits == TeacherLimits(maxInFlight: 9, requestsPerMinute: 60, tokensPerMinute: 1000, requestsPerSecond: 2, adaptive: true))
        #expect(t.timeouts.firstByte == 5 && t.timeouts.idle == 7 && t.timeouts.total == 99 && t.timeouts.connect == 3)
        #expect(t.maxResponseBytes == 2 << 20 && t.breaker.failureThreshold == 4 && t.breaker.cooldown == 1.5)
        #expect(t.failFast.window == 20 && t.failFast.maxErrorRate == 0.25 && t.failFast.maxUnavailableSeconds == 30)
        #expect(t.failFastCooldown == 60 && t.traffic.endpoints == ["http://a/v1", "http://b/v1"])
        let off = try DaemonConfig.parse(Array("{\"teachers\": [{\"name\": \"t\", \"base_url\": \"http://a/v1\", \"model\": \"m\", \"fail_fast\": false}]}".utf8), file: "h.json")
        #expect(off.teachers.first?.failFast == .off)
    }

    @Test(arguments: [("connect_timeout_s", "connect_timeout"), ("total_timeout_s", "total_timeout")])
    func renamedKeysNameTheirNewName(_ old: String, _ new: String) {
        let text = "{\"teachers\": [{\"name\": \"t\", \"base_url\": \"http://a/v1\", \"model\": \"m\", \"\(old)\": 5}]}"
        #expect {
            _ = try DaemonConfig.parse(Array(text.utf8), file: "h.json")
        } throws: { error in
            (error as? DaemonConfigError)?.field == "teachers[0].\(old)" && "\(error)".contains("use \"\(new)\"")
        }
    }

    @Test func missingApiKeyVariableIsAConfigError() throws {
        let c = try DaemonConfig.parse(Array(Self.full.utf8), file: "h.json")
        #expect(throws: DaemonConfigError.self) { try c.checkEnvironment([:]) }
        try c.checkEnvironment(["VLLM_KEY": "k"])
    }

    @Test func metricsAddresses() throws {
        #expect(try MetricsAddress.parse(":9464").get() == MetricsAddress(host: "127.0.0.1", port: 9464))
        #expect(try MetricsAddress.parse("9464").get() == MetricsAddress(host: "127.0.0.1", port: 9464))
        #expect(try MetricsAddress.parse("localhost:80").get().isLoopback)
        #expect(try !MetricsAddress.parse("0.0.0.0:9464").get().isLoopback)
        #expect((try? MetricsAddress.parse("127.0.0.1:99999").get()) == nil)
    }
}

