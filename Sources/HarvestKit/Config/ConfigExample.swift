/// The config `harvest init` writes: the one config format (`teachers[]`/`sweeps[]`, docs/CONFIG.md), with a
/// local teacher and a sweep of the demo prompts. `harvest sweep demo` queues it for `harvest serve`;
/// `harvest sweep demo --run --config harvest.json --teacher-name local` runs the same teacher in the foreground.
public enum ConfigExample {
    /// The file's text.
    public static let text = """
        {
          "server": {"metrics_address": "127.0.0.1:9464"},
          "teachers": [
            {
              "name": "local",
              "base_url": "http://127.0.0.1:8000/v1",
              "model": "Qwen/Qwen2.5-7B-Instruct",
              "endpoint": "chat",
              "limits": {"max_in_flight": 64, "rpm": 6000, "adaptive": false},
              "sampling": {"max_tokens": 256, "temperature": 0.7, "top_p": 1.0, "seed": 1234, "logprobs": 5},
              "max_attempts": 8,
              "connect_timeout": 10,
              "first_byte_timeout": 0,
              "idle_timeout": 30,
              "total_timeout": 600,
              "max_response_mb": 64,
              "breaker_failures": 5,
              "breaker_cooldown": 2
            }
          ],
          "sweeps": [
            {"name": "demo", "prompt_set": "demo", "teacher": "local", "samples": 2}
          ]
        }

        """
}
