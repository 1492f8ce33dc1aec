#!/usr/bin/env bash
# Harvests a small set from a local fake teacher (reasoning on half the answers, top-3 logprobs) and writes every
# export the trainer check reads into WORK. Usage: make_exports.sh HARVEST_BIN WORK
set -euo pipefail
HARVEST="$1"
WORK="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="$WORK/check.sqlite"
cd "$WORK"

python3 - > prompts.jsonl <<'PY'
import json
for i in range(120):
    msgs = []
    if i % 3 == 0:
        msgs.append({"role": "system", "content": "You are a careful math tutor."})
    if i % 4 == 0:
        msgs += [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello, how can I help?"}]
    msgs.append({"role": "user", "content": f"What is {i} + {i * 7}? Explain briefly."})
    print(json.dumps({"id": f"q{i}", "messages": msgs}))
PY
python3 - > tiny.jsonl <<'PY'
import json
for i in range(5):
    print(json.dumps({"id": f"t{i}", "messages": [{"role": "user", "content": f"tiny {i}"}]}))
PY

python3 "$HERE/fake_teacher.py" teacher.port &
TEACHER_PID=$!
trap 'kill $TEACHER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s teacher.port ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat teacher.port)/v1"

"$HARVEST" import prompts.jsonl --set check --db "$DB"
"$HARVEST" import tiny.jsonl --set tiny --db "$DB"
"$HARVEST" sweep check --run --teacher "$URL" --model fake-teacher --max-tokens 64 --logprobs 3 --db "$DB"
"$HARVEST" sweep tiny --run --teacher "$URL" --model fake-teacher --max-tokens 64 --logprobs 3 --db "$DB"

ex() { "$HARVEST" export --db "$DB" "$@"; }
for f in openai sharegpt alpaca trl; do
  ex --set check --format "$f" -o "$f.jsonl"
  ex --set check --format "$f" --split train=0.9,val=0.1 -o "$f-split/"
  ex --set check --format "$f" --shard-rows 40 -o "$f-shards/"
  ex --set check --format "$f" --gzip -o "$f.jsonl.gz"
done
ex --set check --format openai --reasoning drop -o openai-drop.jsonl
ex --set check --format openai --with-logprobs -o openai-logprobs.jsonl
ex --set check --format trl --reasoning field -o trl-field.jsonl
ex --set check --format sharegpt --split train=0.8,val=0.1,test=0.1 --shard-rows 30 -o sharegpt-3way/
# A small set with a tiny validation fraction: the val split comes out empty and must have no file.
ex --set tiny --format sharegpt --split train=0.99,val=0.01 -o tiny-split/
# kd needs token ids: the same prompts once more with --token-ids (sweep 3), after every other export has been
# written (they select --set check and would otherwise see both sweeps' answers), exported on their own.
"$HARVEST" sweep check --run --teacher "$URL" --model fake-teacher --max-tokens 64 --logprobs 3 --token-ids --db "$DB"
ex --sweep 3 --format kd --kd-closing-ids none -o kd.jsonl
ex --sweep 3 --format kd --kd-closing-ids none --split train=0.9,val=0.1 -o kd-split/
ls -la "$WORK" >&2
