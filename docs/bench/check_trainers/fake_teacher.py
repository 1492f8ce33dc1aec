"""A tiny OpenAI-compatible teacher for the trainer check: deterministic answers, reasoning on every other prompt
(`reasoning_content`, as DeepSeek-style servers send it), and token logprobs with top-k alternatives when asked
(as `token_id:N` with vLLM's `return_tokens_as_token_ids`).
Usage: fake_teacher.py PORT_FILE   (binds 127.0.0.1 on a free port and writes the port to PORT_FILE)
"""
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["the", " answer", " is", " forty", "-two", ",", " because", " we", " add", " both", " numbers", "."]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply({"object": "list", "data": [{"id": "fake-teacher", "object": "model"}]})

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        prompt = json.dumps(req.get("messages"))
        h = int(hashlib.sha256((prompt + str(req.get("seed"))).encode()).hexdigest(), 16)
        n = 6 + h % 6
        tokens = [WORDS[(h >> i) % len(WORDS)] for i in range(n)]
        message = {"role": "assistant", "content": "".join(tokens).strip()}
        if h % 2 == 0:
            message["reasoning_content"] = "First, read the question. Then work it out step by step."
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        if req.get("logprobs"):
            k = int(req.get("top_logprobs") or 0)
            # vLLM's return_tokens_as_token_ids: every token as token_id:N (here N = 1000 + its index in WORDS).
            name = (lambda w: f"token_id:{1000 + WORDS.index(w)}") if req.get("return_tokens_as_token_ids") else (lambda w: w)
            content = []
            for i, t in enumerate(tokens):
                top = [{"token": name(t), "logprob": -0.1, "bytes": list(t.encode())}]
                top += [{"token": name(w), "logprob": -2.0 - j, "bytes": list(w.encode())} for j, w in enumerate(WORDS[:k - 1])]
                content.append({"token": name(t), "logprob": -0.1, "bytes": list(t.encode()), "top_logprobs": top[:k]})
            choice["logprobs"] = {"content": content}
        self.reply({"id": "chatcmpl-%x" % (h % (1 << 48)), "object": "chat.completion", "model": "fake-teacher",
                    "choices": [choice], "usage": {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": 10 + n}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
