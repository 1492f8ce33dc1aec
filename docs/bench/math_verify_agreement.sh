#!/bin/sh
# Opt-in: installs math-verify (PyPI) in a virtual environment and measures harvest's agreement with it on the
# extracted (answer, reference) pairs of the hand-written math cases. Run from the repository root.
#   sh docs/bench/math_verify_agreement.sh [VENV_DIR]
set -eu
venv="${1:-${TMPDIR:-/tmp}/harvest-math-verify-venv}"
pairs="${TMPDIR:-/tmp}/harvest-math-pairs.jsonl"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet math-verify
HARVEST_AGREEMENT_OUT="$pairs" swift test --filter MathAgreementPairs
"$venv/bin/python" docs/bench/math_verify_agreement.py "$pairs"
