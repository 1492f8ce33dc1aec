import HarvestCore
import Testing

/// Prompt identity (canonical encoding), teacher identity (no URL) and URL credentials.
@Suite struct IdentityTests {
    @Test func nulInsideAContentCannotFakeMessageBoundaries() {
        let one = [ChatMessage(role: "user", content: "a\u{0}assistant\u{0}x\u{0}user\u{0}b")]
        let three = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "x"), ChatMessage(role: "user", content: "b")]
        // The old encoding collided (this is the reported case) ...
        #expect(PromptHash.legacyHash(one) == PromptHash.legacyHash(three))
        // ... the canonical one does not; values computed independently (Python, length-prefixed encoding).
        #expect(PromptHash.hex(PromptHash.hash(one)) == "8321eb80aa148e04feeb7fedf3dafa9a2086f9fbf3c63907e00d4b7bdafd7548")
        #expect(PromptHash.hex(PromptHash.hash(three)) == "1ee7d24c6050e78e06a4b895496359cb7f8194ccc25383c1bd5aae77eb24ee9c")
        // Shifting bytes between role and content, or between messages, changes the hash.
        #expect(PromptHash.hash([ChatMessage(role: "user", content: "ab")]) != PromptHash.hash([ChatMessage(role: "usera", content: "b")]))
        #expect(PromptHash.hash([ChatMessage(role: "user", content: ""), ChatMessage(role: "user", content: "x")])
                != PromptHash.hash([ChatMessage(role: "user", content: "x"), ChatMessage(role: "user", content: "")]))
        // Default ids: unchanged for NUL-free prompts (older imports stay no-ops), distinct for the colliding pair.
        #expect(PromptHash.defaultIdHash(three) == PromptHash.legacyHash(three))
        #expect(PromptHash.defaultIdHash(one) != PromptHash.defaultIdHash(three))
    }

    @Test func defaultTeacherIdentityIsModelAndKindNeverTheURL() {
        let a = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-8B")
        let b = TeacherEndpoint(baseURL: "http://127.0.0.1:8001/v1", model: "Qwen/Qwen3-8B")
        #expect(a.name == "Qwen/Qwen3-8B@chat")
        #expect(a.name == b.name)
        #expect(TeacherEndpoint(baseURL: "http://h/v1", model: "m", kind: .completions).name == "m@completions")
        #expect(TeacherIdentity.resolve(explicitName: "qwen7b", model: "m", kind: .chat, builtinMock: true) == "qwen7b")
        #expect(TeacherIdentity.resolve(explicitName: nil, model: "m", kind: .chat, builtinMock: true) == "builtin-mock")
        #expect(TeacherIdentity.resolve(explicitName: "", model: "m", kind: .chat, builtinMock: false) == "m@chat")
        #expect(TeacherIdentity.isLegacyURLName("http://127.0.0.1:8000/v1"))
        #expect(!TeacherIdentity.isLegacyURLName("m@chat"))
    }

    @Test func credentialsAreSentButNeverInThePublicURL() {
        let t = TeacherEndpoint(baseURL: "http://user:secret@host:8000/v1/?api_key=K123&x=1", model: "m")
        #expect(t.publicBaseURL == "http://host:8000/v1")
        #expect(t.requestURL == "http://user:secret@host:8000/v1/chat/completions?api_key=K123&x=1")
        #expect(t.url(path: "/models") == "http://user:secret@host:8000/v1/models?api_key=K123&x=1")
        #expect(!t.name.contains("secret") && !t.name.contains("K123"))
        let plain = TeacherEndpoint(baseURL: "https://api.example/v1", model: "m")
        #expect(plain.publicBaseURL == "https://api.example/v1")
        #expect(plain.requestURL == "https://api.example/v1/chat/completions")
        #expect(TeacherURL.redacted("https://k@h/p#frag") == "https://h/p")
        #expect(TeacherURL("http://h/v1").hasSecrets == false)
        #expect(TeacherURL("http://h/v1?k=1").hasSecrets)
        // A request path with its own query (batch listings) keeps it and gets the key after `&`.
        #expect(TeacherURL("http://h/v1?k=1").requestURL(path: "/batches?limit=100") == "http://h/v1/batches?limit=100&k=1")
        #expect(TeacherURL("http://h/v1?k=1").requestURL(path: "/models") == "http://h/v1/models?k=1")
    }
}
