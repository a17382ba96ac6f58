"""Engine benchmark across population sizes: `python benchmarks/bench_engine.py`.

Prints one JSON line per size (firm-years per second, peak memory). Results depend on
the machine; record them with the machine's description, never assert them in tests.
"""

from __future__ import annotations

import json
import sys

from overcap.bench import as_dict, bench


def main(sizes: list[int]) -> None:
    for n in sizes:
        print(json.dumps(as_dict(bench(firms=n, years=10))), flush=True)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [20_000, 100_000, 1_000_000])
