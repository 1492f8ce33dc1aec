"""A small vLLM-like teacher for the axolotl KD check: answers tokenized with the SmolLM2 tokenizer, token logprobs with
top-k alternatives, and `return_tokens_as_token_ids` as vLLM implements it (every token, sampled and alternative, sent
as `token_id:N`). The sampled token is always the first alternative (a greedy teacher), and every other answer ends
with `<|im_end|>` in its logprobs (as a server that reports its stop token), so both closing-token cases are exercised.
A chat request with `prompt_logprobs: k` is scored as vLLM scores it: the messages rendered with the tokenizer's chat
template (`add_generation_prompt` as sent), top-level `prompt_logprobs` (`null` first, then per token a map id →
{logprob, rank, decoded_token} with the prompt's own token first, then the top-k by rank) and `prompt_token_ids`.
Usage: token_teacher.py TOKENIZER_DIR GGUF_FILE PORT_FILE   (binds 127.0.0.1 on a free port, writes the port)
"""
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from transformers import AutoTokenizer

TOK = AutoTokenizer.from_pretrained(sys.argv[1], gguf_file=sys.argv[2])
WORDS = ["The", " answer", " is", " forty", "-two", ",", " because", " we", " add", " both", " numbers", ".", " Indeed",
         " seven", " plus", " thirty", "-five"]
EOS = TOK.convert_tokens_to_ids("<|im_end|>")


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
        self.reply({"object": "list", "data": [{"id": "smollm2-teacher", "object": "model"}]})

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if req.get("prompt_logprobs") is not None:
            return self.score(req)
        h = int(hashlib.sha256((json.dumps(req.get("messages")) + str(req.get("seed"))).encode()).hexdigest(), 16)
        text = "".join(WORDS[(h >> (4 * i)) % len(WORDS)] for i in range(5 + h % 9))
        ids = TOK.encode(text, add_special_tokens=False)
        content = TOK.decode(ids)
        with_eos = h % 2 == 0
        sampled = ids + ([EOS] if with_eos else [])
        as_ids = bool(req.get("return_tokens_as_token_ids"))
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        if req.get("logprobs"):
            k = int(req.get("top_logprobs") or 0)
            entries = []
            for pos, tid in enumerate(sampled):
                alts = [tid] + [a for a in (100 + (h + pos * 7 + j * 13) % 40000 for j in range(k + 1)) if a != tid][:max(k - 1, 0)]
                lps = [-0.0625 * (1 + pos % 3)] + [-1.5 - j for j in range(len(alts) - 1)]

                def entry(t, lp):
                    piece = TOK.decode([t])
                    return {"token": f"token_id:{t}" if as_ids else piece, "logprob": lp, "bytes": list(piece.encode())}

                e = entry(tid, lps[0])
                e["top_logprobs"] = [entry(t, lp) for t, lp in zip(alts, lps)][:k]
                entries.append(e)
            choice["logprobs"] = {"content": entries}
        self.reply({"id": "chatcmpl-%x" % (h % (1 << 48)), "object": "chat.completion", "model": "smollm2-teacher",
                    "choices": [choice],
                    "usage": {"prompt_tokens": 10, "completion_tokens": len(sampled), "total_tokens": 10 + len(sampled)}})

    def score(self, req):
        k = int(req["prompt_logprobs"])
        ids = TOK.apply_chat_template(req["messages"], tokenize=True, add_generation_prompt=req.get("add_generation_prompt", True))
        if hasattr(ids, "input_ids"):
            ids = ids["input_ids"]
        ids = list(ids)
        entries = [None]
        for pos in range(1, len(ids)):
            tid = ids[pos]
            alts = [a for a in (100 + (pos * 31 + j * 17) % 40000 for j in range(k + 1)) if a != tid][:k]
            own = -0.03125 * (1 + pos % 5)
            entry = {str(tid): {"logprob": own, "rank": 1, "decoded_token": TOK.decode([tid])}}
            for j, a in enumerate(alts):
                entry[str(a)] = {"logprob": -2.0 - j, "rank": j + 2, "decoded_token": TOK.decode([a])}
            entries.append(entry)
        self.reply({"id": "chatcmpl-score", "object": "chat.completion", "model": "smollm2-teacher",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "."}, "finish_reason": "length"}],
                    "prompt_logprobs": entries, "prompt_token_ids": ids,
                    "usage": {"prompt_tokens": len(ids), "completion_tokens": 1, "total_tokens": len(ids) + 1}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[3], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
