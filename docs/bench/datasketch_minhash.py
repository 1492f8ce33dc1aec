#!/usr/bin/env python3
"""Reference for harvest's near-duplicate benchmark: datasketch MinHash + MinHashLSH over the same corpus.

The Swift benchmark (HARVEST_BENCH=1 swift test -c release --filter NearDedupBenchmark) writes the corpus, one
document per line, and prints its path. This script reads it line by line and does what harvest does:
lower-case + whitespace split (the corpus is already lower-case ASCII), 5-word shingles, MinHash with
128 permutations (MinHash.generator shares the permutations), query the LSH index, verify candidates by estimated
Jaccard >= threshold (stored hash values only), insert the document when it has no verified match. Prints docs/s and peak RSS.

    pip install datasketch
    python3 docs/bench/datasketch_minhash.py /tmp/harvest-minhash-corpus.txt --weights 0.2 0.8
"""
import argparse
import resource
import time

import numpy as np
from datasketch import MinHash, MinHashLSH


def shingles(line, n):
    words = line.lower().split()
    if len(words) <= n:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--weights", type=float, nargs=2, default=(0.5, 0.5), metavar=("FP", "FN"))
    ap.add_argument("--shingle", type=int, default=5)
    ap.add_argument("--scheme", default=None, help="datasketch permutation scheme (default: the library's)")
    ap.add_argument("--chunk", type=int, default=10000)
    args = ap.parse_args()

    kwargs = {"num_perm": args.num_perm}
    if args.scheme:
        kwargs["scheme"] = args.scheme
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm, weights=tuple(args.weights))
    kept = {}
    need = int(np.ceil(args.threshold * args.num_perm - 1e-9))
    docs = dups = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    with open(args.corpus, encoding="utf-8") as f:
        while True:
            lines = [line for _, line in zip(range(args.chunk), f)]
            if not lines:
                break
            sets = [shingles(line, args.shingle) for line in lines]
            for s, m in zip(sets, MinHash.generator(sets, **kwargs)):
                key = docs
                docs += 1
                if not s:
                    continue
                hv = m.hashvalues
                if any(np.count_nonzero(hv == kept[c]) >= need for c in lsh.query(m)):
                    dups += 1
                    continue
                lsh.insert(key, m)
                kept[key] = hv  # only the hash values are kept for verification (no permutations)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"datasketch: {docs} docs, {dups} near duplicates, bands x rows {lsh.b}x{lsh.r}, "
          f"{elapsed:.2f} s wall, {docs / elapsed:.0f} docs/s, {cpu:.2f} CPU s ({docs / cpu:.0f} docs per CPU second), "
          f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
