"""Time the retrieval chapter (book/06_retrieval.md) beyond the page's budget: exact search
(faiss IndexFlatIP), HNSW, int8 and binary codes over 1,000 to 100,000 (or more) vectors near
MiniLM's embeddings of the Semanlink papers, searched by its 190 queries; and MiniLM's time to
embed the papers at 128 and 256 word pieces.

Prints figures measured on this machine; it asserts nothing (budgets live in the README).
    python bench/retrieval.py [--repeats 3] [--sizes 1000 10000 100000] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from latentlab import data, search  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="builds and query batches per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 30_000, 100_000])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import faiss
    import torch

    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    collection = data.semanlink()
    chunk_texts = search.chunks(collection.texts)[0]
    base = np.vstack([data.embed(collection.texts), data.embed(chunk_texts)])  # (1044, 384)
    queries = data.embed(collection.queries)  # (190, 384)

    print(f"faiss {faiss.__version__}, {args.threads} threads; 190 queries, k = 10; "
          f"builds and query batches repeated {args.repeats} times (median, min-max)")
    print(f"{'n':>8} {'index':<20} {'recall@10':>9} {'build s':>16} {'ms/query':>20} {'MB':>8} {'B/vector':>9}")
    for n in args.sizes:
        runs = [search.scale_table(base, queries, [n], repeats=args.repeats, seed=0)[0]
                for _ in range(args.repeats)]
        for name in search.indexes(base[:2]):
            rows = [run[n, name] for run in runs]
            build = [r["build_s"] for r in rows]
            ms = np.concatenate([r["query_ms"] for r in rows])
            size = rows[0]["bytes"]
            print(f"{n:>8,} {name:<20} {rows[0]['recall']:>9.3f} "
                  f"{statistics.median(build):>6.3f} ({min(build):.3f}-{max(build):.3f}) "
                  f"{np.median(ms):>7.3f} ({ms.min():.3f}-{ms.max():.3f}) "
                  f"{size / 1e6:>8.1f} {size / n:>9.0f}")

    model = data.minilm()
    for max_tokens in search.MAX_TOKENS:
        previous, model.max_seq_length = model.max_seq_length, max_tokens
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.encode(list(collection.texts), batch_size=32, normalize_embeddings=True)
            times.append(time.perf_counter() - start)
        model.max_seq_length = previous
        print(f"MiniLM, 314 papers cut at {max_tokens} word pieces: {statistics.median(times):.1f} s "
              f"(min {min(times):.1f}, max {max(times):.1f}) on {args.threads} threads")


if __name__ == "__main__":
    main()
