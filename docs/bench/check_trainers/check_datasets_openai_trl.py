"""Checks harvest exports with `datasets`, OpenAI's chat fine-tuning format rules, and TRL's SFTTrainer.
Usage: check_datasets_openai_trl.py WORK STUDENT_DIR   (prints PASS/FAIL lines, also to WORK/results-datasets-trl.txt)
"""
import glob
import json
import os
import sys
import tempfile
import traceback
from collections import defaultdict

work, student = sys.argv[1], sys.argv[2]
os.chdir(work)
results = []


def report(ok, name, detail=""):
    line = f"{'PASS' if ok else 'FAIL'} {name}" + (f" — {detail}" if detail else "")
    print(line, flush=True)
    results.append(line)


def check(name, fn):
    try:
        detail = fn()
        report(True, name, detail or "")
    except Exception as e:  # noqa: BLE001 - every failure is a result
        traceback.print_exc()
        report(False, name, f"{type(e).__name__}: {str(e)[:300]}")


from datasets import load_dataset  # noqa: E402


# 1. datasets: the manifest's own load_dataset call, data_files from the manifest, and load_dataset(DIR) for folders.
def manifest_checks(path):
    m = json.load(open(path))
    want = defaultdict(int)
    for f in m["files"]:
        want[f["split"] or "train"] += f["rows"]

    def via_manifest_call():
        ds = eval(m["load"]["datasets"], {"load_dataset": load_dataset})  # the call harvest wrote, as a user would paste it
        got = {"train": len(ds)} if not hasattr(ds, "keys") else {k: len(v) for k, v in ds.items()}
        assert got == dict(want), f"got {got}, manifest says {dict(want)}"
        assert all(f["rows"] > 0 for f in m["files"]), "an empty file is listed"
        return f"{dict(want)}; empty splits {m['empty_splits']}"

    check(f"datasets manifest call {os.path.basename(path)}", via_manifest_call)
    if m.get("folder"):
        def via_dir():
            ds = load_dataset(m["folder"])
            alias = {"validation": "val"}
            got = {alias.get(k, k): len(v) for k, v in ds.items()}
            assert got == dict(want), f"load_dataset(DIR) gave {got}, manifest says {dict(want)}"
            return str(got)

        check(f"datasets load_dataset(DIR) {m['folder']}", via_dir)


for path in sorted(glob.glob("*.manifest.json")):
    manifest_checks(path)


# 2. OpenAI chat fine-tuning format rules (openai-cookbook "Data preparation and analysis for chat model fine-tuning").
def openai_cookbook_errors(path):
    errors = defaultdict(int)
    for line in open(path):
        ex = json.loads(line)
        if not isinstance(ex, dict):
            errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                errors["message_missing_key"] += 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ("system", "user", "assistant", "function"):
                errors["unrecognized_role"] += 1
            content = message.get("content", None)
            function_call = message.get("function_call", None)
            if (not content and not function_call) or not isinstance(content, str):
                errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            errors["example_missing_assistant_message"] += 1
    return dict(errors)


for path in ["openai.jsonl", "openai-drop.jsonl"]:
    def rules(path=path):
        errs = openai_cookbook_errors(path)
        assert not errs, f"format errors {errs}"
        rows = [json.loads(l) for l in open(path)]
        think = sum("<think>" in r["messages"][-1]["content"] for r in rows)
        return f"{len(rows)} rows, 0 errors, {think} with inline reasoning"

    check(f"openai cookbook rules {path}", rules)

# 3. TRL SFTTrainer: 3 steps on the conversational exports.
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402

torch.set_num_threads(2)
tok = AutoTokenizer.from_pretrained(student)


def trl_train(path):
    def run():
        ds = load_dataset("json", data_files=path, split="train")
        model = AutoModelForCausalLM.from_pretrained(student)
        with tempfile.TemporaryDirectory() as out:
            cfg = SFTConfig(output_dir=out, max_steps=3, per_device_train_batch_size=2, max_length=96, logging_steps=1,
                            report_to=[], save_strategy="no", use_cpu=True, dataloader_num_workers=0)
            trainer = SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tok)
            result = trainer.train()
        return f"{len(ds)} rows, 3 steps, loss {result.training_loss:.3f}"

    check(f"trl SFTTrainer 3 steps {path}", run)


for path in ["openai.jsonl", "trl.jsonl", "trl-field.jsonl"]:
    trl_train(path)

with open(os.path.join(work, "results-datasets-trl.txt"), "w") as f:
    f.write("\n".join(results) + "\n")
sys.exit(0 if all(r.startswith("PASS") for r in results) else 1)
