#!/usr/bin/env bash
# Harvests a small set from token_teacher.py (SmolLM2 tokenizer, vLLM-style token ids) and a set without ids, and
# writes the kd exports the axolotl check reads into WORK. Usage: make_exports.sh HARVEST_BIN PYTHON TOKENIZER_DIR GGUF WORK
set -euo pipefail
HARVEST="$1"; PY="$2"; TOKDIR="$3"; GGUF="$4"; WORK="$5"
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="$WORK/kd.sqlite"
cd "$WORK"

"$PY" - > prompts.jsonl <<'PY'
import json
for i in range(40):
    msgs = []
    if i % 3 == 0:
        msgs.append({"role": "system", "content": "You are a careful math tutor."})
    if i % 4 == 0:
        msgs += [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello, how can I help?"}]
    msgs.append({"role": "user", "content": f"What is {i} + {i * 7}? Explain briefly."})
    print(json.dumps({"id": f"q{i}", "messages": msgs}))
PY
"$PY" - > plain.jsonl <<'PY'
import json
for i in range(7):
    print(json.dumps({"id": f"p{i}", "messages": [{"role": "user", "content": f"Plain question {i}?"}]}))
PY

"$PY" "$HERE/token_teacher.py" "$TOKDIR" "$GGUF" teacher.port &
TEACHER_PID=$!
trap 'kill $TEACHER_PID 2>/dev/null || true' EXIT
# Loading transformers and the GGUF tokenizer takes up to a minute on a loaded 2-core machine.
for _ in $(seq 3000); do
  [ -s teacher.port ] && break
  kill -0 $TEACHER_PID 2>/dev/null || { echo "token_teacher.py exited" >&2; exit 1; }
  sleep 0.1
done
[ -s teacher.port ] || { echo "token_teacher.py did not start within 300 s" >&2; exit 1; }
URL="http://127.0.0.1:$(cat teacher.port)/v1"
CLOSE="$("$PY" "$HERE/closing_ids.py" "$TOKDIR" "$GGUF")"
echo "$CLOSE" > closing_ids.txt

"$HARVEST" import prompts.jsonl --set kd --db "$DB"
"$HARVEST" import plain.jsonl --set plain --db "$DB"
"$HARVEST" sweep kd --run --teacher "$URL" --model smollm2-teacher --max-tokens 64 --temperature 0.7 --logprobs 5 --token-ids --db "$DB"
# A teacher asked without token ids (as OpenAI or DeepSeek answer): its rows must be refused with a count.
"$HARVEST" sweep plain --run --teacher "$URL" --model smollm2-teacher --max-tokens 64 --temperature 0.7 --logprobs 5 --db "$DB"

ex() { "$HARVEST" export --db "$DB" "$@"; }
ex --set kd --format kd --kd-closing-ids "$CLOSE" -o kd.jsonl
ex --format kd --kd-closing-ids "$CLOSE" -o kd-all.jsonl 2> kd-all.stderr || { cat kd-all.stderr >&2; exit 1; }
cat kd-all.stderr >&2
ex --set kd --format kd --kd-closing-ids none -o kd-noclose.jsonl
ex --set kd --format raw -o raw.jsonl
# Scored sequences: the same answers, teacher-forced through vLLM-style chat prompt_logprobs (top-5), exported in the
# current shape from the answer's positions and the closing tokens the teacher scored itself.
"$HARVEST" score kd --into kd.scored --run --score prompt-logprobs --logprobs 5 --teacher "$URL" --model smollm2-teacher --db "$DB"
ex --set kd.scored --format kd --kd-closing-ids "$CLOSE" --kd-temperature 1.0 -o kd-scored.jsonl
ex --set kd.scored --format kd --kd-closing-ids none --kd-temperature 1.0 -o kd-scored-noclose.jsonl
