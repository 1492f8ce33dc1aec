"""Prints the token ids the tokenizer's chat template writes after an assistant answer, comma-separated (`none` when
it writes nothing): the value of `harvest export --format kd --kd-closing-ids`.
Usage: closing_ids.py TOKENIZER_DIR GGUF_FILE
"""
import sys

from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained(sys.argv[1], gguf_file=sys.argv[2])
marker = "Zebra marker answer"
full = tok.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": marker}], tokenize=True)
if hasattr(full, "keys"):
    full = full["input_ids"]
answer = tok.encode(marker, add_special_tokens=False)
end = max(i + len(answer) for i in range(len(full) - len(answer) + 1) if full[i:i + len(answer)] == answer)
tail = full[end:]
print(",".join(str(t) for t in tail) if tail else "none")
