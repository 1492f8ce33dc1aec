#!/usr/bin/env python3
"""Agreement of harvest's math verifier with Hugging Face math-verify on the same extracted-answer pairs.

Input: JSONL lines {"line", "answer", "reference", "harvest"} written by the Swift test `MathAgreementPairs`
(HARVEST_AGREEMENT_OUT=FILE swift test --filter MathAgreementPairs). Both sides get the same extracted answer;
math-verify parses each side wrapped in $…$. Agreement is counted over the pairs harvest decides (correct/wrong);
harvest's `unverifiable` pairs are reported separately (harvest declines, by design, rather than guess).
"""
import json
import sys

from math_verify import parse, verify


def judge(answer, reference):
    try:
        gold = parse("$" + reference + "$")
        pred = parse("$" + answer + "$")
        return "correct" if verify(gold, pred) else "wrong"
    except Exception as e:  # math-verify raised: count as its "wrong"
        return "wrong"


def main(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    decided = [r for r in rows if r["harvest"] in ("correct", "wrong")]
    agree, disagreements = 0, []
    for r in decided:
        mv = judge(r["answer"], r["reference"])
        if mv == r["harvest"]:
            agree += 1
        else:
            disagreements.append((r["line"], r["answer"], r["reference"], r["harvest"], mv))
    unverifiable = [r for r in rows if r["harvest"] == "unverifiable"]
    mv_on_unverifiable = {}
    declined = []
    for r in unverifiable:
        mv = judge(r["answer"], r["reference"])
        mv_on_unverifiable[mv] = mv_on_unverifiable.get(mv, 0) + 1
        declined.append((r["line"], r["answer"], r["reference"], mv))
    print(f"pairs: {len(rows)}; decided by harvest: {len(decided)}; agreement {agree}/{len(decided)} = "
          f"{agree / max(1, len(decided)):.3f}")
    print(f"harvest unverifiable: {len(unverifiable)} (math-verify says {mv_on_unverifiable})")
    for line, a, ref, h, mv in disagreements:
        print(f"  disagree line {line}: answer {a!r} reference {ref!r}: harvest {h}, math-verify {mv}")
    for line, a, ref, mv in declined:
        print(f"  unverifiable line {line}: answer {a!r} reference {ref!r}: math-verify {mv}")


if __name__ == "__main__":
    main(sys.argv[1])
