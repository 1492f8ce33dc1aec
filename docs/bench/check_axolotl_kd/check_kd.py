"""Loads harvest's `kd` export with axolotl's own KD data path and checks where the teacher's ids land.

Runs, from the installed axolotl: its dataset preparation step `get_dataset_wrapper` (which resolves the dataset
entry's `type: axolotl.integrations.kd.chat_template` through `axolotl.prompt_strategies.load` and tokenizes with
that strategy) on the dataset entry harvest wrote into the manifest, over `datasets.load_dataset("json")`, and the
KD collator `DataCollatorForKD`. Checks: at every position the loader marks for training (`target_mask`), the first
teacher id (the teacher's sampled token: the check's teacher is greedy) equals the student's input token there, across
the answer tokens and the chat template's closing tokens; every answer token the student trains on is covered; the
dataset `temperature` reaches the strategy; the collated batch keeps the alignment. A control export without
closing tokens (`--kd-closing-ids none`) must come out shifted.
Usage: check_kd.py WORK TOKENIZER_DIR GGUF_FILE   (prints PASS/FAIL lines; exit 1 on any FAIL)
"""
import json
import math
import os
import sys

from datasets import load_dataset
from transformers import AutoTokenizer

from axolotl.utils.data.wrappers import get_dataset_wrapper  # first: axolotl.datasets alone hits an import cycle
from axolotl.integrations.kd.collator import DataCollatorForKD
from axolotl.prompt_strategies import load as load_strategy
from axolotl.utils.dict import DictDefault

work, tokdir, gguf = sys.argv[1], sys.argv[2], sys.argv[3]
tok = AutoTokenizer.from_pretrained(tokdir, gguf_file=gguf)
failures = 0


def result(ok, name, detail=""):
    global failures
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)


def tokenized(export):
    manifest = json.load(open(os.path.join(work, export + ".manifest.json")))
    entry = manifest["provenance"]["kd"]["axolotl_datasets"][0]
    ds_cfg = dict(entry, path=os.path.join(work, entry["path"]))
    cfg = DictDefault({"sequence_len": 2048, "train_on_inputs": False, "kd_temperature": 1.0, "kd_trainer": True,
                       "dataset_num_proc": 1})
    strategy = load_strategy(ds_cfg["type"], tok, cfg, ds_cfg)
    if strategy is None:
        raise SystemExit(f"axolotl did not resolve type {ds_cfg['type']}")
    raw = load_dataset("json", data_files=ds_cfg["path"], split="train")
    # axolotl's SFT preparation path: the dataset entry resolves its strategy and wraps the dataset.
    rows, _ = get_dataset_wrapper(DictDefault(ds_cfg), tok, cfg, ds_cfg["type"], raw)
    return manifest, ds_cfg, strategy, rows


def alignment(rows):
    """(positions checked, mismatches, tokens of the final answer trained without teacher targets)"""
    checked = mismatched = uncovered = 0
    for r in rows:
        ids, labels, targets, mask = r["input_ids"], r["labels"], r["target_token_ids"], r["target_mask"]
        assert len(targets) == len(ids) == len(mask), (len(targets), len(ids), len(mask))
        for t in range(len(ids)):
            if mask[t][0]:
                checked += 1
                mismatched += targets[t][0] != ids[t]
        # The final answer: the last run of trained positions (earlier assistant turns of a multi-turn prompt are
        # trained by axolotl too, but the teacher scored only the final answer).
        t = len(ids) - 1
        while t >= 0 and labels[t] == -100:
            t -= 1
        while t >= 0 and labels[t] != -100:
            uncovered += not mask[t][0]
            t -= 1
    return checked, mismatched, uncovered


manifest, ds_cfg, strategy, rows = tokenized("kd.jsonl")
print(f"axolotl strategy {type(strategy).__name__} for type {ds_cfg['type']}; closing ids "
      f"{manifest['provenance']['kd']['closing_token_ids']}; rows {len(rows)}", flush=True)
result(type(strategy).__name__ == "ChatTemplateStrategyWithKDv2", "type string selects axolotl's current KD loader",
       type(strategy).__name__)
result(len(rows) == manifest["rows"], "every exported row loads", f"{len(rows)} of {manifest['rows']}")
checked, mismatched, uncovered = alignment(rows)
result(checked > 0 and mismatched == 0, "teacher ids land on the tokens they score",
       f"{checked} trained positions, {mismatched} where the teacher's token is not the input token")
result(uncovered == 0, "every trained token of the final answer has teacher targets", f"{uncovered} uncovered")
result(math.isclose(strategy.gen_temperature, manifest["provenance"]["kd"]["temperature"] or 1.0),
       "dataset temperature reaches axolotl", f"gen_temperature {strategy.gen_temperature}, kd_temperature {strategy.kd_temperature}")

# The teacher's sampled ids (raw export, order of the kd export) sit exactly at the input positions axolotl trains on.
raw_rows = [json.loads(line) for line in open(os.path.join(work, "raw.jsonl"))]
exact = 0
for r, src in zip(rows, raw_rows):
    sampled = [p["token_id"] for p in src["logprobs"]]
    trained = [r["input_ids"][t] for t in range(len(r["input_ids"])) if r["target_mask"][t][0]]
    exact += trained[:len(sampled)] == sampled
result(exact == len(rows), "teacher's sampled token ids equal the trained input tokens, in order", f"{exact} of {len(rows)} rows")

# A temperature-rescaled position: axolotl turns the teacher's logprobs at `temperature` into kd_temperature 1.0.
first = json.loads(open(os.path.join(work, "kd.jsonl")).readline())
r0 = rows[0]
n0 = len(r0["input_ids"])
pos = n0 - len(first["logprobs"])
lp = first["logprobs"][0]
expo = strategy.gen_temperature / strategy.kd_temperature
z = sum(math.exp(x) for x in lp)
want = [math.log((math.exp(x) / z) ** expo / sum((math.exp(y) / z) ** expo for y in lp)) for x in lp]
result(all(math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6) for a, b in zip(r0["target_logprobs"][pos], want)),
       "logprobs rescaled from the dataset temperature", f"{r0['target_logprobs'][pos][:3]} vs {want[:3]}")

# axolotl's KD collator: padding keeps ids on their tokens.
features = [{k: r[k] for k in ("input_ids", "attention_mask", "labels", "target_logprobs", "target_token_ids", "target_mask")}
            for r in rows.select(range(4))]
batch = DataCollatorForKD(tokenizer=tok, padding="longest", return_tensors="pt")(features)
shape = tuple(batch["target_token_ids"].shape)
m = batch["target_mask"][:, :, 0].bool()
ok = bool((batch["target_token_ids"][:, :, 0][m] == batch["input_ids"][m]).all()) and m.sum().item() > 0
result(ok and shape[:2] == tuple(batch["input_ids"].shape), "DataCollatorForKD batch keeps the alignment",
       f"target_token_ids {shape}, {int(m.sum())} trained positions")

# Control: without the closing tokens the lists end on the template's closing tokens instead of the answer.
_, _, _, shifted = tokenized("kd-noclose.jsonl")
_, bad, _ = alignment(shifted)
result(bad > 0, "control: export without closing ids is shifted (as issue 12 describes)", f"{bad} misplaced positions")

all_stderr = open(os.path.join(work, "kd-all.stderr")).read()
all_manifest = json.load(open(os.path.join(work, "kd-all.jsonl.manifest.json")))
refused = all_manifest["skipped"].get("no_token_ids", 0)
result(refused == 7 and "refused 7 rows without token ids" in all_stderr
       and all_manifest["logprobs"]["token_ids"]["teachers_without_ids"] == ["smollm2-teacher"],
       "rows without token ids refused with a count (printed and in the manifest)", f"skipped {all_manifest['skipped']}")

# Scored sequences (harvest score … --score prompt-logprobs): the answer's positions and the closing tokens the
# teacher scored itself (its own distribution, not probability 1), right-aligned like sampled rows.
scored_manifest, _, _, scored = tokenized("kd-scored.jsonl")
result(len(scored) == scored_manifest["rows"] == 40 and not scored_manifest["skipped"],
       "every scored sequence is exported and loads", f"{len(scored)} rows, skipped {scored_manifest['skipped']}")
checked, mismatched, uncovered = alignment(scored)
result(checked > 0 and mismatched == 0, "scored: the teacher's scored token lands on the input token at every trained position",
       f"{checked} trained positions, {mismatched} mismatches")
result(uncovered == 0, "scored: every trained token of the final answer has teacher targets", f"{uncovered} uncovered")
scored_lines = [json.loads(line) for line in open(os.path.join(work, "kd-scored.jsonl"))]
closing = scored_manifest["provenance"]["kd"]["closing_token_ids"]
own = sum(1 for row in scored_lines for lps, ids in zip(row["logprobs"][-len(closing):], row["target_token_ids"][-len(closing):])
          if len(set(lps)) > 1 and ids[0] in closing)
result(own == len(scored_lines) * len(closing), "scored: closing tokens keep the teacher's own distribution",
       f"{own} of {len(scored_lines) * len(closing)} closing positions")
features = [{k: r[k] for k in ("input_ids", "attention_mask", "labels", "target_logprobs", "target_token_ids", "target_mask")}
            for r in scored.select(range(4))]
batch = DataCollatorForKD(tokenizer=tok, padding="longest", return_tensors="pt")(features)
m = batch["target_mask"][:, :, 0].bool()
ok = bool((batch["target_token_ids"][:, :, 0][m] == batch["input_ids"][m]).all()) and m.sum().item() > 0
result(ok, "scored: DataCollatorForKD batch keeps the alignment",
       f"target_token_ids {tuple(batch['target_token_ids'].shape)}, {int(m.sum())} trained positions")
_, _, _, scored_shifted = tokenized("kd-scored-noclose.jsonl")
_, bad, _ = alignment(scored_shifted)
result(bad > 0, "scored control: the answer's positions without the closing tokens come out shifted", f"{bad} misplaced positions")
answers = sorted(r["messages"][-1]["content"] for r in scored_lines)
result(answers == sorted(r["completion"] for r in raw_rows), "scored: the assistant messages are the scored answers",
       f"{len(answers)} answers")
sys.exit(1 if failures else 0)
