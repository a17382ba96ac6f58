"""Fuzz the engine: N random valid scenarios, every scalar parameter of the schema drawn
uniformly inside its documented range (tests/engine/properties.py, the same draw as the
property tests, here from a seeded numpy generator), each run in a process of its own
in a worker process with a timeout and a memory limit (``--jobs`` workers side by side,
each reused from run to run and replaced when a run times out or kills it). Counts
crashes, broken identities or bounds, time-outs and memory blow-ups, and writes every
failure (its overrides, so it can be rerun with ``overcap run baseline --set ...``) to a
JSON file. A share ``--large`` of the scenarios draws its population from the schema's
whole range (up to ``population.firms_start``'s maximum) over a few years.

    .venv/bin/python scripts/fuzz.py -n 2000 --seed 0 --jobs 2 --out fuzz-failures.json

Each failure is classified: ``crash`` (the run raised), ``property`` (a check of
tests/engine/properties.py failed; PENDING checks are relaxed, run with ``--strict`` to
check them in full), ``timeout``, ``memory`` (the run exceeded ``--memory-mb``);
``refused`` is not a failure: the run stopped with the one-line error of its own memory budget
(``population.memory_budget_mb``, drawn like every parameter).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.engine.properties: the draw and the checks


def _outcome(overrides: dict[str, Any], seed: int, strict: bool) -> tuple[str, list[str]]:
    """Run one scenario in this (worker) process: (kind, detail)."""
    from tests.engine import properties

    import overcap
    from overcap.scenario import ScenarioError

    saved = set(properties.PENDING)
    if strict:
        properties.PENDING.clear()
    try:
        result = overcap.run("baseline", seed=seed, overrides=overrides)
        broken = properties.check(result)
        return ("property", broken) if broken else ("ok", [])
    except MemoryError:
        return "memory", ["MemoryError"]
    except ScenarioError as exc:
        if "population.memory_budget_mb" in str(exc):
            return "refused", [str(exc)]
        tb = traceback.format_exc().strip().splitlines()
        return "crash", [f"ScenarioError: {exc}", *tb[-3:]]
    except BaseException as exc:
        tb = traceback.format_exc().strip().splitlines()
        return "crash", [f"{type(exc).__name__}: {exc}", *tb[-3:]]
    finally:
        properties.PENDING.update(saved)


def _serve(conn: Any, memory_mb: int) -> None:
    """A worker: limit its address space, then run the jobs it is sent until None."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(_outcome(*job))


class Worker:
    """A process that runs scenarios one after another; replaced when a run times out or
    the process dies (an address-space kill, a segfault)."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.memory_mb), daemon=True)
        self.proc.start()

    def _restart(self) -> None:
        self.proc.kill()
        self.proc.join()
        self._start()

    def run(
        self, overrides: dict[str, Any], seed: int, timeout: float, strict: bool
    ) -> tuple[str, list[str], float]:
        t0 = time.perf_counter()
        try:
            self.conn.send((overrides, seed, strict))
            if self.conn.poll(timeout):
                kind, detail = self.conn.recv()
                return kind, detail, time.perf_counter() - t0
            kind, detail = "timeout", [f"no answer in {timeout:.0f} s"]
        except (EOFError, OSError):
            self.proc.join(timeout=5)
            code = self.proc.exitcode
            kind = "memory" if code is not None and code < 0 else "crash"
            detail = [f"the process died (exit code {code})"]
        self._restart()
        return kind, detail, time.perf_counter() - t0

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()


def run_one(
    overrides: dict[str, Any], seed: int, timeout: float, memory_mb: int, strict: bool
) -> tuple[str, list[str], float]:
    """One scenario in a fresh worker process."""
    w = Worker(memory_mb)
    try:
        return w.run(overrides, seed, timeout, strict)
    finally:
        w.close()


def failure_class(kind: str, detail: list[str]) -> str:
    """What kind of failure: the exception type of a crash, the name of a broken
    property (without its rows)."""
    first = detail[0] if detail else ""
    if kind == "crash":
        return "crash: " + first.split(":", 1)[0]
    return f"{kind}: " + re.sub(r": \d+ rows, first at .*$", "", first)


def classify(overrides: dict[str, Any], seed: int, strict: bool) -> str:
    """Run in this process and return the failure class ('ok' if none)."""
    kind, detail = _outcome(overrides, seed, strict)
    return "ok" if kind in ("ok", "refused") else failure_class(kind, detail)


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
    ap.add_argument("--jobs", type=int, default=2, help="worker processes side by side")
    ap.add_argument(
        "--large",
        type=float,
        default=0.01,
        help="share of scenarios whose population is drawn from the schema's whole range "
        "(3 to 5 years; their workers get --large-memory-mb)",
    )
    ap.add_argument("--large-memory-mb", type=int, default=9000, help="address space, large runs")
    ap.add_argument("--large-timeout", type=float, default=900.0, help="seconds per large run")
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
    if args.jobs < 1:
        ap.error("--jobs: at least 1")
    if not 0.0 <= args.large <= 1.0:
        ap.error("--large: a share from 0 to 1")

    import numpy as np
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from tests.engine.properties import FUZZ, numpy_overrides

    from overcap.scenario import parameter_ranges

    # every scenario drawn first, in order, so the draw does not depend on --jobs
    rng = np.random.default_rng(args.seed)
    top = int(next(hi for p, _, _, hi in parameter_ranges() if p == "population.firms_start"))
    large = {"years": (3, 5), "spinup": (0, 2), "firms": (FUZZ["firms"][1], top)}
    jobs: list[tuple[dict[str, Any], int, bool]] = []
    for _ in range(args.scenarios):
        big = bool(rng.random() < args.large)
        overrides = numpy_overrides(rng, large if big else FUZZ)
        jobs.append((overrides, int(rng.integers(0, 2**31)), big))
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    done: dict[int, tuple[str, list[str], float]] = {}
    lock = threading.Lock()
    order = [i for i, j in enumerate(jobs) if j[2]] + [i for i, j in enumerate(jobs) if not j[2]]
    pending = iter(order)
    t_start = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("fuzz", total=args.scenarios)

        def drive() -> None:
            workers: dict[bool, Worker] = {}
            try:
                while True:
                    with lock:
                        i = next(pending, None)
                    if i is None:
                        return
                    overrides, run_seed, big = jobs[i]
                    if big not in workers:
                        mb = args.large_memory_mb if big else args.memory_mb
                        workers[big] = Worker(mb)
                    timeout = args.large_timeout if big else args.timeout
                    out = workers[big].run(overrides, run_seed, timeout, args.strict)
                    with lock:
                        done[i] = out
                        counts[out[0]] += 1
                        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                        bar.update(task, advance=1, description=f"fuzz ({summary})")
            finally:
                for w in workers.values():
                    w.close()

        threads = [threading.Thread(target=drive) for _ in range(args.jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for i, (kind, detail, seconds) in sorted(done.items()):
        if kind not in ("ok", "refused"):
            overrides, run_seed, big = jobs[i]
            failures.append(
                {
                    "index": i,
                    "kind": kind,
                    "seed": run_seed,
                    "large": big,
                    "seconds": round(seconds, 2),
                    "detail": detail,
                    "overrides": overrides,
                }  # fmt: skip
            )
    elapsed = time.perf_counter() - t_start
    args.out.write_text(
        json.dumps(
            {
                "scenarios": args.scenarios,
                "seed": args.seed,
                "strict": args.strict,
                "counts": dict(counts),
                "large": sum(j[2] for j in jobs),
                "seconds": round(elapsed, 1),
                "failures": failures,
            },  # fmt: skip
            indent=1,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    n_large = sum(j[2] for j in jobs)
    print(
        f"{args.scenarios} scenarios ({n_large} with large populations) in {elapsed:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in counts.most_common())
    )
    print(f"failures written to {args.out}")
    return 0 if counts["ok"] + counts["refused"] == args.scenarios else 1


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
