"""Fuzz the engine: N random valid scenarios, every scalar parameter of the schema drawn
uniformly inside its documented range (tests/engine/properties.py, the same draw as the
property tests, here from a seeded numpy generator), each run in a process of its own
with a timeout and a memory limit. Counts crashes, broken identities or bounds, time-outs
and memory blow-ups, and writes every failure (its overrides, so it can be rerun with
``overcap run baseline --set ...``) to a JSON file.

    .venv/bin/python scripts/fuzz.py -n 300 --seed 0 --out fuzz-failures.json

Each failure is classified: ``crash`` (the run raised), ``property`` (a check of
tests/engine/properties.py failed; PENDING checks are relaxed, run with ``--strict`` to
check them in full), ``timeout``, ``memory`` (the run exceeded ``--memory-mb``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.engine.properties: the draw and the checks


def _one(overrides: dict[str, Any], seed: int, memory_mb: int, strict: bool, q: Any) -> None:
    """Run one scenario in this (child) process and put (kind, detail) on ``q``."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from tests.engine import properties

        import overcap

        if strict:
            properties.PENDING.clear()
        result = overcap.run("baseline", seed=seed, overrides=overrides)
        broken = properties.check(result)
        q.put(("property", broken) if broken else ("ok", []))
    except MemoryError:
        q.put(("memory", ["MemoryError"]))
    except BaseException as exc:
        tb = traceback.format_exc().strip().splitlines()
        q.put(("crash", [f"{type(exc).__name__}: {exc}", *tb[-3:]]))


def run_one(
    overrides: dict[str, Any], seed: int, timeout: float, memory_mb: int, strict: bool
) -> tuple[str, list[str], float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_one, args=(overrides, seed, memory_mb, strict, q))
    t0 = time.perf_counter()
    proc.start()
    try:
        kind, detail = q.get(timeout=timeout)
    except Exception:  # queue.Empty: timed out, or the child died without a word
        kind, detail = ("timeout", [f"no answer in {timeout:.0f} s"])
        if not proc.is_alive() and proc.exitcode not in (0, None):
            kind, detail = ("memory" if proc.exitcode < 0 else "crash",
                            [f"the process died (exit code {proc.exitcode})"])  # fmt: skip
    proc.join(timeout=5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return kind, detail, time.perf_counter() - t0


def failure_class(kind: str, detail: list[str]) -> str:
    """What kind of failure: the exception type of a crash, the name of a broken
    property (without its rows)."""
    first = detail[0] if detail else ""
    if kind == "crash":
        return "crash: " + first.split(":", 1)[0]
    return f"{kind}: " + re.sub(r": \d+ rows, first at .*$", "", first)


def classify(overrides: dict[str, Any], seed: int, strict: bool) -> str:
    """Run in this process and return the failure class ('ok' if none)."""
    from tests.engine import properties

    import overcap

    saved = set(properties.PENDING)
    if strict:
        properties.PENDING.clear()
    try:
        result = overcap.run("baseline", seed=seed, overrides=overrides)
        broken = properties.check(result)
        return failure_class("property", broken) if broken else "ok"
    except Exception as exc:
        return failure_class("crash", [f"{type(exc).__name__}: {exc}"])
    finally:
        properties.PENDING.update(saved)


def minimize(overrides: dict[str, Any], seed: int, strict: bool) -> dict[str, Any]:
    """The fewest overrides (the rest at the baseline's values) that still fail the same
    way: delta debugging over the keys, in this process. The span and population keys
    stay, since the rest is drawn for them."""
    from tests.engine.properties import FIXED

    target = classify(overrides, seed, strict)
    if target == "ok":
        return overrides
    keep = {k: v for k, v in overrides.items() if k in FIXED}
    keys = [k for k in overrides if k not in FIXED]
    n = 2
    while len(keys) >= 2:
        chunk = max(1, len(keys) // n)
        for i in range(0, len(keys), chunk):
            rest = keys[:i] + keys[i + chunk :]
            trial = {**keep, **{k: overrides[k] for k in rest}}
            if classify(trial, seed, strict) == target:
                keys, n = rest, max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(len(keys), n * 2)
    if len(keys) == 1 and classify(keep, seed, strict) == target:
        keys = []
    return {**keep, **{k: overrides[k] for k in keys}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--scenarios", type=int, default=100, help="scenarios to run")
    ap.add_argument("--seed", type=int, default=0, help="seed of the scenario generator")
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures.json"))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--memory-mb", type=int, default=4000, help="address space per run")
    ap.add_argument("--strict", action="store_true", help="check PENDING properties in full")
    ap.add_argument(
        "--minimize",
        type=Path,
        metavar="FAILURES_JSON",
        help="instead of fuzzing: shrink the first failure of each class in a failures file "
        "to the fewest overrides that still fail that way, and print them",
    )
    args = ap.parse_args(argv)
    if args.minimize is not None:
        return minimize_file(args.minimize, args.strict)
    if args.scenarios < 1:
        ap.error("--scenarios: at least 1")

    import numpy as np
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from tests.engine.properties import numpy_overrides

    rng = np.random.default_rng(args.seed)
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("fuzz", total=args.scenarios)
        for i in range(args.scenarios):
            overrides = numpy_overrides(rng)
            run_seed = int(rng.integers(0, 2**31))
            kind, detail, seconds = run_one(
                overrides, run_seed, args.timeout, args.memory_mb, args.strict
            )
            counts[kind] += 1
            if kind != "ok":
                failures.append(
                    {
                        "index": i,
                        "kind": kind,
                        "seed": run_seed,
                        "seconds": round(seconds, 2),
                        "detail": detail,
                        "overrides": overrides,
                    }  # fmt: skip
                )
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            bar.update(task, advance=1, description=f"fuzz ({summary})")
    args.out.write_text(
        json.dumps(
            {
                "scenarios": args.scenarios,
                "seed": args.seed,
                "strict": args.strict,
                "counts": dict(counts),
                "failures": failures,
            },  # fmt: skip
            indent=1,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{args.scenarios} scenarios: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    print(f"failures written to {args.out}")
    return 0 if counts["ok"] == args.scenarios else 1


def minimize_file(path: Path, strict: bool) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    strict = strict or bool(data.get("strict"))
    seen: set[str] = set()
    for f in data["failures"]:
        if f["kind"] not in ("crash", "property"):
            continue
        cls = failure_class(f["kind"], f["detail"])
        if cls in seen:
            continue
        seen.add(cls)
        now = classify(f["overrides"], int(f["seed"]), strict)
        if now != cls:
            print(f"{cls} (failure {f['index']}): now {now}, not minimized")
            continue
        small = minimize(f["overrides"], int(f["seed"]), strict)
        sets = " ".join(f"--set {k}={json.dumps(v)}" for k, v in small.items())
        print(f"{cls} (failure {f['index']}, seed {f['seed']}): {len(small)} overrides")
        print(f"  overcap run baseline --seed {f['seed']} {sets}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
