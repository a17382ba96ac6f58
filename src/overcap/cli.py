"""The command line: thin over the public Python API."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import overcap.cli_format as fmt
from overcap._version import __version__
from overcap.experiments import ExperimentError, Interrupted
from overcap.scenario import (
    SECTOR_PARAMS,
    Scenario,
    ScenarioError,
    available_scenarios,
    field_bounds,
    field_extra,
    load_scenario,
    sector_table,
    sector_units,
)
from overcap.store import StoreError

if TYPE_CHECKING:
    from overcap.experiments import Experiment, Progress, Summary

app = typer.Typer(
    cls=fmt.CommandGroup,
    add_completion=False,
    no_args_is_help=True,
    help="overcap: simulate how a party-state economy produces overcapacity, again and again.",
)
# the terminal's width; when piped, COLUMNS or wide tables (CI logs); made again for
# every command (in the callback), so that COLUMNS is read when the command runs
console = fmt.stdout_console()
err = Console(stderr=True, soft_wrap=True)  # errors on one line

F = TypeVar("F", bound=Callable[..., Any])


def command(name: str | None = None) -> Callable[[F], F]:
    """``app.command`` with the help laid out for the terminal: the docstring's
    paragraphs rewrapped to its width, short metavars, ranges in words."""

    def register(fn: F) -> F:
        help_text = fmt.paragraphs(fn.__doc__)
        return app.command(name, cls=fmt.Command, help=help_text)(fn)

    return register


def _or_unknown(x: Any) -> Any:
    """A recorded figure, or "?" where the record has none (None or absent)."""
    return "?" if x is None else x


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        console.print(f"overcap {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """overcap command line."""
    global console
    console = fmt.stdout_console()


def _free_dir(path: Path, overwrite: bool) -> Path:
    """Where to write: ``path`` if free (or ``overwrite``), else the first free ``path-N``,
    so a new run never destroys an earlier one unless asked."""
    if overwrite or not path.exists() or not any(path.iterdir()):
        return path
    n = 2
    while (cand := path.with_name(f"{path.name}-{n}")).exists():
        n += 1
    return cand


# ---------------------------------------------------------------- experiment options

Workers = Annotated[
    int | None,
    typer.Option(
        help="Worker processes of the local Dask cluster (default: one per core; 0: run in "
        "this process, no Dask).",
        min=0,
        max=512,
    ),
]
SchedulerAddr = Annotated[
    str | None,
    typer.Option(
        help="An existing Dask scheduler, tcp://HOST:PORT (default: $OVERCAP_SCHEDULER, "
        "else a local cluster)."
    ),
]
Name = Annotated[str | None, typer.Option(help="Experiment name (default: generated and printed).")]
ResultsRoot = Annotated[
    Path | None, typer.Option("--results", help="Results root (default ./overcap-results).")
]
Resume = Annotated[
    bool,
    typer.Option("--resume", help="Continue experiment --name: run only what is missing."),
]
RetryFailed = Annotated[
    bool, typer.Option("--retry-failed", help="With --resume: run the failed runs again.")
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bar (it is also off in CI and when not a terminal)."
    ),
]
ScenarioSeed = Annotated[int | None, typer.Option(help="Seed (default: the scenario's).", min=0)]
CalibrationSet = Annotated[
    str | None,
    typer.Option(
        "--calibration",
        metavar="SET",
        help="Another calibrated set in place of the one the scenario names: a set's name in "
        "the package (baseline-holdout-2013-2019: the out-of-time set), the path of a JSON "
        "file written by overcap calibrate, or none (the documented defaults).",
    ),
]


def _set_name(sc: Scenario) -> str | None:
    """The name (file stem) of the calibrated set a scenario runs with; None: no set."""
    return None if sc.calibrated is None else Path(str(sc.calibrated["file"])).stem


def _set_label(sc: Scenario, calibration: str | None) -> str:
    """What a title says of the set when --calibration put one in place ('' otherwise)."""
    if calibration is None:
        return ""
    name = _set_name(sc)
    return ", no calibrated set" if name is None else f", calibrated set {name}"


FixedSets = Annotated[
    list[str] | None, typer.Option("--set", help="Fixed override: path=value (repeatable).")
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        help="Runs per batch, one Parquet part per table (default: about 8 batches per "
        "worker, 5 to 50 runs).",
        min=1,
    ),
]


def _progress_enabled(quiet: bool) -> bool:
    return not quiet and not os.environ.get("CI") and err.is_terminal


@contextlib.contextmanager
def _progress_bar(label: str, quiet: bool) -> Iterator[Callable[[Progress], None]]:
    """A rich progress bar on stderr: runs done of all, failed, rate and time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    if not _progress_enabled(quiet):
        yield lambda p: None
        return
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, [red]{task.fields[failed]} failed[/], {task.fields[rate]}"),
        TextColumn("{task.fields[eta]}"),
        console=err,
    ) as bar:
        task = bar.add_task(label, total=None, failed=0, rate="-- runs/s", eta="")
        t0 = time.perf_counter()

        def update(p: Progress) -> None:
            el = time.perf_counter() - t0
            rate = p.new / el if p.new and el > 0 else 0.0
            left = p.total - p.done
            eta = f"{_hms(left / rate)} left" if rate > 0 and left else ""
            bar.update(
                task,
                total=p.total,
                completed=p.done,
                failed=p.failed,
                rate=f"{rate:.2f} runs/s" if rate else "-- runs/s",
                eta=eta,
            )

        yield update


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _resume_command(ctx: typer.Context, name: str) -> str:
    """The command line that resumes this experiment: this command, with --name and
    --resume."""
    words = ["overcap", str(ctx.info_name)]
    for p in ctx.command.params:
        pname = p.name or ""
        v = ctx.params.get(pname)
        if p.param_type_name == "argument":
            vals = v if isinstance(v, list | tuple) else [v]
            words += [str(x) for x in vals if x is not None]
            continue
        if pname in ("name", "resume") or v is None or v == p.default:
            continue
        opt = max(p.opts, key=len)
        if getattr(p, "is_flag", False):
            if v:
                words.append(opt)
        elif isinstance(v, list | tuple):
            for x in v:
                words += [opt, str(x)]
        else:
            words += [opt, str(v)]
    words += ["--name", name, "--resume"]
    return shlex.join(words)


def _experiment_name(kind: str, scenario: str, name: str | None, results: Path | None) -> str:
    from overcap.experiments import generate_name
    from overcap.store import check_name

    if results is not None and (why := _cannot_write(results)) is not None:
        raise StoreError(f"--results {results}: {why}; give a folder you can write to")
    if name is not None:
        return check_name(name)
    return generate_name(kind, scenario, results)


def _cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be (or become) a folder to write into, or None if it can;
    creates nothing."""
    p = path.absolute()
    while not p.exists() and p.parent != p:
        p = p.parent
    if not p.is_dir():
        return "it is a file, not a folder" if p == path.absolute() else f"{p} is a file"
    if not os.access(p, os.W_OK | os.X_OK):
        return f"{p} is not writable"
    return None


def _run_experiment(
    ctx: typer.Context, label: str, quiet: bool, call: Callable[[Callable[[Progress], None]], Any]
) -> Any:
    """Run an experiment with a progress bar; a user error exits 2 with one line; Ctrl-C
    keeps what is recorded and prints the command that resumes. The experiment's name
    and folder are printed once it is defined and its store opened."""
    from overcap.store import root_of

    name = str(ctx.meta["experiment"])
    folder = root_of(ctx.meta.get("results")) / name
    try:
        with _progress_bar(label, quiet) as bar:
            announced = False

            def tick(p: Progress) -> None:
                nonlocal announced
                if not announced:
                    announced = True
                    before = f" ({p.done} of {p.total} runs already recorded)" if p.done else ""
                    err.print(
                        f"experiment [bold]{escape(name)}[/] in {escape(str(folder))}{before}",
                        highlight=False,
                    )
                bar(p)

            return call(tick)
    except Interrupted as exc:
        err.print(
            f"interrupted: {exc.done} of {exc.total} runs are recorded in {exc.folder}; "
            "resume with:",
            highlight=False,
        )
        err.print("  " + escape(_resume_command(ctx, name)), highlight=False)
        raise typer.Exit(130) from None
    except KeyboardInterrupt:  # Ctrl-C outside the driver's loop (opening, repairing)
        err.print(f"interrupted: what is recorded stays in {folder}; resume with:", highlight=False)
        err.print("  " + escape(_resume_command(ctx, name)), highlight=False)
        raise typer.Exit(130) from None
    except (ExperimentError, StoreError, ScenarioError) as exc:
        _fail(str(exc))


def _report(ctx: typer.Context, summary: Summary) -> None:
    """The closing line of an experiment; exit 1 if runs are still missing."""
    size = sum(f.stat().st_size for f in summary.folder.rglob("*") if f.is_file())
    per_run = size / max(1, summary.ok + summary.failed)
    line = (
        f"experiment {summary.name}: {summary.ok} runs ok, {summary.failed} failed of "
        f"{summary.total} ({summary.new_ok + summary.new_failed} this session, "
        f"{summary.seconds:.1f} s, {summary.executor}); {size / 1e6:.1f} MB in "
        f"{summary.folder} ({per_run / 1e3:.0f} kB per run)"
    )
    err.print(escape(line), highlight=False)
    if summary.failed:
        err.print(
            f"{summary.failed} runs failed: see `overcap runs {summary.name}`", highlight=False
        )
    if summary.missing:
        err.print(
            f"error: {summary.missing} runs could not be run ({escape(summary.lost_batches[0])}); "
            "resume with:",
            highlight=False,
        )
        err.print("  " + escape(_resume_command(ctx, summary.name)), highlight=False)
        raise typer.Exit(1)


def _bands_table(exp: Experiment, title: str, years: tuple[int, int] | None) -> Table:
    """Medians over the ok runs, with 5-95% bands, of the main indicators, per sample."""
    import numpy as np

    from overcap.compare import INDICATORS, indicator_values

    vals = indicator_values(exp, years)
    t = Table(title=title, title_justify="left")
    t.add_column("indicator")
    t.add_column("median [5%, 95%]", justify="right")
    for ind in INDICATORS:
        v = vals[ind.name].to_numpy()
        if not len(v):
            continue
        lo, mid, hi = np.percentile(v, [5, 50, 95])
        t.add_row(ind.label, f"{mid:.3g} [{lo:.3g}, {hi:.3g}]")
    return t


@command()
def run(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Argument(help="Scenario name or path to a TOML file.")
    ] = "baseline",
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: the scenario's).", min=0)
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter: path.to.param=value (repeatable)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default overcap-results/SCENARIO).")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace the results folder if it holds an earlier run."),
    ] = False,
    runs: Annotated[
        int | None,
        typer.Option(
            help="Run an ensemble of N replicates (replicate i gets stream i of the seed) "
            "into the results store.",
            min=1,
            max=1_000_000,
        ),
    ] = None,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    retry_failed: RetryFailed = False,
    batch_size: BatchSize = None,
    quiet: Quiet = False,
) -> None:
    """Run one scenario, print a summary and write the results.

    The results are Parquet tables and run.json in --out. With --runs N, an ensemble of N
    replicates goes into the results store instead."""
    from overcap.experiments import overrides_dict
    from overcap.model import run as run_model

    try:
        overrides = overrides_dict(set_)  # the one parse of the --set strings
        sc = load_scenario(scenario, overrides)  # and the one load of the scenario
    except ScenarioError as exc:
        _fail(str(exc))
        return
    if runs is None:
        given = [
            flag
            for flag, v in (
                ("--name", name),
                ("--results", results),
                ("--workers", workers),
                ("--scheduler", scheduler),
                ("--batch-size", batch_size),
            )
            if v is not None
        ] + [flag for flag, v in (("--resume", resume), ("--retry-failed", retry_failed)) if v]
        if given:
            _fail(f"{given[0]} goes with --runs N (an ensemble); one run goes to --out")
        out_dir = out or Path("overcap-results") / sc.name
        if (why := _cannot_write(out_dir)) is not None:
            _fail(f"--out {out_dir}: {why}; give a folder you can write to")
        t0 = time.perf_counter()
        with console.status(f"running {sc.name} {sc.time.start_year}-{sc.time.end_year} ..."):
            result = run_model(sc, seed=seed)
        elapsed = time.perf_counter() - t0
        _print_summary(result)
        target = _free_dir(out_dir, overwrite)
        try:
            result.save(target)  # replaces target only once the new results are fully written
        except OSError as exc:
            _fail(f"--out {target}: cannot write there ({exc.strerror or exc})")
        console.print(
            f"\n{sc.name}, seed {result.seed}: {elapsed:.1f} s. Results written to "
            f"[bold]{target}[/] (sectors, provinces, economy and trade as Parquet; run.json)."
        )
        return
    if out is not None or overwrite:
        _fail("--out and --overwrite are for one run; an ensemble goes to --results/--name")
    from overcap.experiments import Execution, run_experiment

    try:
        exp_name = _experiment_name("ensemble", scenario, name, results)
    except StoreError as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    s = sc.seed if seed is None else seed
    exp, summary = _run_experiment(
        ctx,
        f"{sc.name} x {runs}",
        quiet,
        lambda bar: run_experiment(
            "ensemble",
            [(scenario, {})],
            runs,
            s,
            overrides,
            loaded={scenario: sc},
            execution=Execution(
                name=exp_name,
                results=results,
                resume=resume,
                retry_failed=retry_failed,
                workers=workers,
                scheduler=scheduler,
                batch_size=batch_size,
                progress=bar,
            ),
        ),
    )
    if summary.ok:
        console.print(_bands_table(exp, f"{sc.name}: {summary.ok} runs, seed {s}, all years", None))
    _report(ctx, summary)


ZH_REGIME = {"loosen": "放", "chaos": "亂", "control": "管", "stagnation": "死", "none": "-"}


def _regime_path(eco: Any) -> str:
    """The policy cycle as spells: 'regime 1995-1997 死 stagnation, 1998 放 loosen, ...'
    (* = scripted)."""
    spells: list[str] = []
    rows = list(zip(eco["year"], eco["regime"], eco["regime_scripted"], strict=True))
    start = 0
    for k in range(1, len(rows) + 1):
        if k == len(rows) or rows[k][1:] != rows[start][1:]:
            y0, y1 = rows[start][0], rows[k - 1][0]
            years = f"{y0}" if y0 == y1 else f"{y0}-{y1}"
            name = rows[start][1]
            mark = "*" if rows[start][2] else ""
            spells.append(f"{years} {ZH_REGIME.get(name, '')} {name}{mark}")
            start = k
    return "policy cycle (* scripted): " + ", ".join(spells)


def _print_summary(result: Any) -> None:
    eco = result.economy
    years = [y for y in eco["year"] if y % 5 == 0 or y == eco["year"].iloc[0]]
    t = Table(title=f"{result.scenario.name}: the economy", title_justify="left")
    cols = [
        ("gdp_growth", "GDP growth %", "{:.1f}"),
        ("gdp_target", "target %", "{:.1f}"),
        ("ppi_change", "PPI %", "{:+.1f}"),
        ("aggregate_utilisation", "utilisation", "{:.2f}"),
        ("zombie_share", "zombie share", "{:.2f}"),
        ("fiscal_cost_share_gdp", "fiscal cost %GDP", "{:.1f}"),
        ("misallocation_tfp_loss", "misallocation %", "{:.2f}"),
    ]
    t.add_column("year", justify="right")
    for _, label, _ in cols:
        t.add_column(label, justify="right")
    sub = eco.set_index("year")
    for y in years:
        t.add_row(str(y), *[fmt.format(sub.loc[y, c]) for c, _, fmt in cols])
    console.print(t)

    sec = result.sectors
    t2 = Table(title="utilisation by sector (mean over the years)", title_justify="left")
    t2.add_column("sector")
    spans = [(1995, 2000), (2001, 2007), (2008, 2010), (2011, 2015), (2016, 2020), (2021, 2030)]
    spans = [(a, b) for a, b in spans if a <= sec["year"].max() and b >= sec["year"].min()]
    for a, b in spans:
        t2.add_column(f"{a}-{b}", justify="right")
    for s, g in sec.groupby("sector", sort=False):
        row = []
        for a, b in spans:
            m = g[(g["year"] >= a) & (g["year"] <= b) & (g["output"] > 0)]["utilisation"]
            row.append(f"{m.mean():.2f}" if len(m) else "-")
        t2.add_row(str(s), *row)
    console.print(t2)
    console.print(_regime_path(eco))


def _years(text: str | None, option: str = "--years") -> tuple[int, int] | None:
    from overcap.evidence import parse_span

    if text is None:
        return None
    try:
        return parse_span(text)
    except ValueError as exc:
        _fail(f"{option} {exc}")
        raise


@command()
def compare(
    ctx: typer.Context,
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Two or more scenario names or TOML paths; the first is the reference."
        ),
    ],
    runs: Annotated[int, typer.Option(help="Runs per scenario.", min=1, max=100_000)] = 10,
    seed: Annotated[
        int, typer.Option(help="Seed; replicate i of every scenario shares stream i.", min=0)
    ] = 0,
    years: Annotated[
        str | None,
        typer.Option(
            help="Years to average over, FROM-TO (default: from the first event a later "
            "scenario adds, else all the years)."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override for every scenario: path=value; for one: SCENARIO:path=value "
            "(repeatable).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the table as JSON records.")
    ] = False,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    quiet: Quiet = False,
) -> None:
    """Compare scenarios: medians over runs with 90% bands, and paired differences.

    The runs are stored as an experiment (--name, or a generated name); the bands come
    from the store. By default the indicators average over the years from the first
    event a later scenario adds to the first (market-reform: 2020 on), as the title
    says; --years chooses others. --set applies an override to every scenario;
    --set SCENARIO:path=value to one of them (as the dashboard's levers do), or
    --set 2:path=value to the second (when a scenario is compared with itself)."""
    from overcap.compare import compare_table, default_years
    from overcap.experiments import Execution, overrides_dict, run_experiment

    if len(scenarios) < 2:
        _fail("compare needs at least two scenarios, e.g. overcap compare baseline market-reform")
    span = _years(years)
    try:
        base, own = _compare_overrides(scenarios, set_ or [])
        loaded = {sc_name: load_scenario(sc_name, base) for sc_name in scenarios}
        exp_name = _experiment_name("compare", scenarios[0], name, results)
    except (ScenarioError, StoreError) as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    exp, summary = _run_experiment(
        ctx,
        " vs ".join(scenarios),
        quiet or as_json,
        lambda bar: run_experiment(
            "compare",
            [(sc_name, overrides_dict(own.get(j))) for j, sc_name in enumerate(scenarios)],
            runs,
            seed,
            base,
            loaded=loaded,
            execution=Execution(
                name=exp_name,
                results=results,
                resume=resume,
                workers=workers,
                scheduler=scheduler,
                progress=bar,
            ),
        ),
    )
    if summary.missing:
        _report(ctx, summary)
    try:
        why = ""
        if span is None:
            span, why = default_years([exp.scenario(j) for j in range(len(exp.spec["samples"]))])
        table = compare_table(exp, span)
    except (ExperimentError, StoreError) as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(table.to_json(orient="records") + "\n")
        _report(ctx, summary)
        return
    console.print(_compare_view(table, runs, why), highlight=False)
    _report(ctx, summary)


def _compare_overrides(
    scenarios: list[str], items: list[str]
) -> tuple[list[str], dict[int, list[str]]]:
    """``--set`` items of compare: path=value for every scenario (the experiment's base);
    SCENARIO:path=value, or N:path=value for the N-th scenario (1 is the first), for
    one of them (that sample's parameters)."""
    base: list[str] = []
    own: dict[int, list[str]] = {}
    for text in items:
        key, sep, value = text.partition("=")
        target, colon, path = key.rpartition(":")
        if not colon:
            base.append(text)
            continue
        if scenarios.count(target) == 1:
            j = scenarios.index(target)
        elif target.isdigit() and 1 <= int(target) <= len(scenarios):
            j = int(target) - 1
        elif target in scenarios:
            raise ScenarioError(
                f"--set {text}: {target!r} is compared twice; name it by its place, "
                f"1 to {len(scenarios)} (e.g. --set 2:{path}{sep}{value})"
            )
        else:
            raise ScenarioError(
                f"--set {text}: {target!r} is not a scenario compared here; allowed: "
                + ", ".join(dict.fromkeys(scenarios))
                + f", or a place 1 to {len(scenarios)}"
            )
        own.setdefault(j, []).append(f"{path}{sep}{value}")
    return base, own


def _compare_view(table: Any, runs: int, why: str) -> Any:
    """The comparison, one block per indicator (a line per scenario: median [5%, 95%]
    and the paired difference from the first), readable at 80 columns."""
    from rich.console import Group

    from overcap.compare import INDICATORS, display_label, format_band

    names = list(dict.fromkeys(table["scenario"]))
    ref = names[0]
    labels = {ind.name: display_label(ind) for ind in INDICATORS}
    blocks: list[tuple[str, list[tuple[str, str, str]]]] = []
    for ind_name, g in table.groupby("indicator", sort=False):
        g = g.set_index("scenario")
        rows = []
        for n in names:
            r = g.loc[n]
            value = format_band(str(ind_name), r["median"], r["p5"], r["p95"])
            diff = (
                ""
                if n == ref
                else format_band(
                    str(ind_name), r["diff_median"], r["diff_p5"], r["diff_p95"], diff=True
                )
            )
            rows.append((n, value, diff))
        blocks.append((labels.get(str(ind_name), str(g["label"].iloc[0])), rows))
    widths = [
        max(len(h), *(len(r[k]) + (2 if k == 0 else 0) for _, rows in blocks for r in rows))
        for k, h in enumerate(("", "median [5%, 95%]", f"difference from {ref}"))
    ]

    def grid(cells: list[tuple[str, str, str]], style: str = "") -> Table:
        t = Table.grid(padding=(0, 2))
        for k, w in enumerate(widths):
            t.add_column(min_width=w, justify="left" if k == 0 else "right", no_wrap=k == 0)
        for a, b, c in cells:
            t.add_row(escape(a), escape(b), escape(c), style=style)
        return t

    years = str(table["years"].iloc[0])
    because = f" ({escape(why)}; --years for others)" if why else ""
    parts: list[Any] = [
        f"[bold]{escape(' vs '.join(names))}[/]: {runs} runs each; median and 90% band "
        f"{escape('[5%, 95%]')} over {years}{because}",
        grid([("", "median [5%, 95%]", f"difference from {ref}")], style="dim"),
    ]
    for label, rows in blocks:
        parts.append(f"[bold]{escape(label)}[/]")
        parts.append(grid([("  " + n, v, d) for n, v, d in rows]))
    return Group(*parts)


@command()
def check(
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    facts: Annotated[
        Path | None, typer.Option(help="Facts file (default: the packaged facts.csv).")
    ] = None,
    runs: Annotated[int, typer.Option(help="Runs in the ensemble.", min=1, max=10_000)] = 10,
    seed: Annotated[int, typer.Option(help="Seed; run i gets stream i.", min=0)] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    holdout: Annotated[
        str | None,
        typer.Option(
            help="FROM-TO: score apart the facts a fit with this holdout never sees (out of "
            "time: windows ending in FROM or later) and the rest (in-sample)."
        ),
    ] = None,
    calibration: CalibrationSet = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
) -> None:
    """Check a scenario against the record (the facts in data/facts.csv).

    For every fact: what it measures, its unit and source, the model's median over the
    runs, the band it must fall in, pass or fail, and the share of runs passing. After the
    table, the stored scores of the scenario's calibrated set (in-sample, out of stream,
    out of time: `overcap score` measures them). The out-of-time score's set, fact by fact:
    `overcap check --calibration baseline-holdout-2013-2019 --holdout 2013-2019 --seed 1`."""
    from overcap.calibration import holdout_mask, score_entry
    from overcap.evidence import FactsError, load_facts
    from overcap.evidence import check as run_check
    from overcap.experiments import ensemble

    span = None if holdout is None else _years(holdout, "--holdout")
    try:
        fact_list, digest = load_facts(facts)
        sc = load_scenario(scenario, set_ or [], calibration=calibration)
    except (FactsError, ScenarioError) as exc:
        _fail(str(exc))
        return
    held = holdout_mask(fact_list, span)
    try:
        with console.status(f"running {runs} runs of {sc.name} ...") if not as_json else _null():
            results = ensemble(sc, runs=runs, seed=seed, workers=workers, scheduler=scheduler)
    except (ExperimentError, StoreError) as exc:
        _fail(str(exc))
        return
    table = run_check(results, fact_list)
    passed, total = int(table["passed"].sum()), len(table)
    entry = score_entry([bool(x) for x in table["passed"]], held)
    stored = _stored_scores(sc)
    if as_json:
        out = {
            "scenario": sc.name,
            "calibration": _set_name(sc),
            "runs": runs,
            "seed": seed,
            "facts_sha256": digest,
            "facts": [
                {
                    "id": r.id,
                    "what": r.what,
                    "label": r.label,
                    "unit": r.unit,
                    "source": r.source,
                    "note": r.note,
                    "value": None if not r.evaluable else r.value,
                    "low": _opt(r.low),
                    "high": _opt(r.high),
                    "target": _opt(r.target),
                    "passed": bool(r.passed),
                    "share_passing": r.share_passing,
                    "evaluable": bool(r.evaluable),
                    "reason": r.reason,
                    "out_of_time": h,
                }
                for r, h in zip(table.itertuples(), held, strict=True)
            ],
            "passed": passed,
            "total": total,
            "holdout_years": list(span) if span else None,
            "in_sample": entry["in_sample"],
            "out_of_time": entry["out_of_time"],
            "stored_scores": None if stored is None else {**stored[0], "stale": stored[1]},
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    t = Table(
        title=f"{sc.name} against the record: {runs} runs, seed {seed}"
        + _set_label(sc, calibration),
        title_justify="left",
        show_lines=True,
    )
    t.add_column("fact (unit; source)", overflow="fold", ratio=1)
    for c in ("model", "band", "pass", "runs ok"):
        t.add_column(c, justify="right")
    if span:
        t.add_column("set")
    t.caption = "model: the median over the runs; runs ok: the share of runs that pass"
    for r, h in zip(table.itertuples(), held, strict=True):
        band = (
            f"[{r.low:g}, {r.high:g}]"
            if _opt(r.low) is not None and _opt(r.high) is not None
            else f"target {r.target:g}"
            if _opt(r.target) is not None
            else "true"
        )
        value = f"{r.value:.4g}" if r.evaluable else f"not evaluable: {r.reason}"
        mark = "[green]pass[/]" if r.passed else "[red]fail[/]"
        unit = str(r.unit) + "; " if r.unit else ""
        fact = f"{escape(str(r.id))} {escape(str(r.label))}\n[dim]{escape(unit + str(r.source))}[/]"
        if r.note:
            fact += f"\n[dim italic]note: {escape(str(r.note))}[/]"
        cells = [fact, escape(value), escape(band), mark, f"{r.share_passing:.0%}"]
        if span:
            cells.append("out of time" if h else "in-sample")
        t.add_row(*cells)
    console.print(t)
    console.print(f"score: [bold]{passed}/{total}[/] facts passed ({passed / total:.0%})")
    if span:
        (pi, ti), (po, to) = entry["in_sample"], entry["out_of_time"]
        console.print(
            f"in-sample (windows ending before {span[0]}): [bold]{pi}/{ti}[/]; "
            f"out of time ({span[0]} on): [bold]{po}/{to}[/]"
        )
    if stored is not None:
        _print_stored_scores(*stored)


def _stored_scores(sc: Scenario) -> tuple[dict[str, Any], list[str]] | None:
    """The stored scores of the scenario's calibrated set and why they are stale (None
    when the scenario has no set or no scores are stored; a warning if unreadable)."""
    from overcap.calibration import ScoreError, scores_of, stale

    try:
        doc = scores_of(sc.calibrated)
        if doc is None or sc.calibrated is None:
            return None
        return doc, stale(doc, str(sc.calibrated["file"]))
    except (ScoreError, KeyError, TypeError) as exc:
        err.print(f"[yellow]warning:[/] stored scores not shown: {escape(str(exc))}")
        return None


def _print_stored_scores(doc: dict[str, Any], why: list[str]) -> None:
    """The short block after the check's table: the three stored scores."""
    from overcap.calibration import CAVEAT, fit_notes, score_parts

    p = score_parts(doc)
    console.print(
        f"\nstored scores of [bold]{escape(doc['sets']['shipped']['file'])}[/] "
        f"({escape(str(doc['scenario']))}, {doc['runs']} runs, {escape(str(doc['date']))}):"
    )
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for label, key in (
        ("in-sample", "in_sample"),
        ("out of stream", "out_of_stream"),
        ("out of time", "out_of_time"),
    ):
        grid.add_row(f"  {label}:", escape(p[key]))
    for note in fit_notes(doc):
        grid.add_row("  [yellow]note:[/]", escape(note))
    if why:
        grid.add_row(
            "  [bold yellow]stale:[/]",
            f"[bold yellow]stored scores are stale[/]: {escape('; '.join(why))}; run "
            f"overcap score {escape(str(doc['scenario']))} --runs {doc['runs']}",
        )
    console.print(grid)
    console.print(f"[dim]{escape(CAVEAT)}[/]")


@command()
def score(
    scenario: Annotated[
        str, typer.Argument(help="Scenario whose calibrated set is scored.")
    ] = "baseline",
    runs: Annotated[int, typer.Option(help="Runs per check.", min=1, max=10_000)] = 10,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the scores (default: beside the calibrated set, "
            "NAME-score.json in the package)."
        ),
    ] = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    quiet: Quiet = False,
) -> None:
    """Measure and store the three scores of a scenario's calibrated set.

    In-sample: the set on its calibration's own streams. Out of stream: on three seeds the
    calibration never used, and their median (the shipped score). Out of time: the set
    NAME-holdout-2013-2019.json, fitted only on facts whose window ends by 2012, on those
    seeds: the facts it never saw and those it saw. README, overcap check, the report and
    the dashboard read the stored file."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    from overcap.calibration import ScoreError, measure_scores, scores_file, write

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        _fail(str(exc))
        return
    if not sc.calibrated:
        _fail(f"{scenario}: names no calibrated set (calibration = ...) to score")
        return
    target = out or scores_file(str(sc.calibrated["file"]))

    def measure(progress: Callable[[int, int], None] | None) -> dict[str, Any]:
        return measure_scores(
            scenario, runs, progress=progress, workers=workers, scheduler=scheduler
        )

    try:
        if _progress_enabled(quiet):
            with Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("runs"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task(f"scoring {sc.name}", total=None)
                doc = measure(lambda d, n: bar.update(task, completed=d, total=n))
        else:
            doc = measure(None)
    except (ScoreError, ExperimentError, StoreError) as exc:
        _fail(str(exc))
        return
    try:
        write(doc, target)
    except OSError as exc:
        _fail(f"--out {target}: cannot write: {exc.strerror or exc}")
        return
    _print_stored_scores(doc, [])
    console.print(f"scores written to [bold]{escape(str(target))}[/]")


def _opt(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and x != x) else float(x)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario to calibrate.")] = "baseline",
    trials: Annotated[int, typer.Option(help="Completed trials wanted in the study.", min=1)] = 200,
    runs_per_trial: Annotated[
        int, typer.Option("--runs-per-trial", help="Replicates averaged per trial.", min=1)
    ] = 3,
    storage: Annotated[
        Path | None,
        typer.Option(
            help="Optuna journal file (default: SCENARIO.journal in overcap-results/calibration)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    seed: Annotated[int, typer.Option(help="Sampler and replicate seed.", min=0)] = 0,
    facts: Annotated[Path | None, typer.Option(help="Facts file (default: packaged).")] = None,
    holdout: Annotated[
        str, typer.Option(help="Years whose facts are held out, FROM-TO, or 'none'.")
    ] = "2016-2019",
    params: Annotated[
        str | None, typer.Option(help="Comma-separated parameters (default: all calibratable).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the calibrated set (JSON).")
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install", help="Also write it into the package, where the scenario loads it."
        ),
    ] = False,
    start_from: Annotated[
        Path | None,
        typer.Option(
            help="A calibrated set (JSON) whose values are the first trial of a new study."
        ),
    ] = None,
    robustness: Annotated[
        float,
        typer.Option(
            help="Add this weight times each fact's share of failing runs to the loss "
            "(0: the medians' distances alone; docs/CALIBRATION.md).",
            min=0.0,
        ),
    ] = 0.0,
    plausibility: Annotated[
        float,
        typer.Option(
            help="Add this weight times how far the runs' zombie share, provincial "
            "spending and sector margins lie outside the record's ranges "
            "(docs/CALIBRATION.md).",
            min=0.0,
        ),
    ] = 0.0,
    show_holdout: Annotated[
        bool,
        typer.Option(
            "--show-holdout",
            help="Print how many held-out facts the best trial passes. Off by default, so "
            "a study can be run blind to the facts it must not fit (the written set still "
            "records them).",
        ),
    ] = False,
    shrinkage: Annotated[
        float,
        typer.Option(
            help="Add this weight times the parameters' squared distances from their "
            "documented values, in widths of their ranges (docs/CALIBRATION.md).",
            min=0.0,
        ),
    ] = 0.0,
    sampler: Annotated[
        str,
        typer.Option(
            help="tpe: a global search of the ranges; cmaes: a local search (CMA-ES) from "
            "--start-from (docs/CALIBRATION.md).",
        ),
    ] = "tpe",
    sigma0: Annotated[
        float,
        typer.Option(
            "--sigma0",
            help="With --sampler cmaes: the search's first step, a share of each range, "
            "in (0, 0.5].",
        ),
    ] = 0.1,
    plausibility_seeds: Annotated[
        str | None,
        typer.Option(
            "--plausibility-seeds",
            help="Comma-separated further seeds whose replicates measure the internal "
            "states too (the implausibility summed over them and --seed; docs/CALIBRATION.md).",
        ),
    ] = None,
    plausibility_margin: Annotated[
        float,
        typer.Option(
            "--plausibility-margin",
            help="With --plausibility: move each range's bounds this many of its units "
            "inward (0.1: zombie share 0.19, margins -0.27 to 0.27), so that a set is not "
            "picked at a bound it leaves on other seeds' streams; in [0, 1) "
            "(docs/CALIBRATION.md).",
        ),
    ] = 0.0,
    replacement: Annotated[
        float,
        typer.Option(
            help="Add this weight times how far the baseline's capacity-replacement rules "
            "fall short of halving steel's and coal's 2019 starts (the ratio of starts with "
            "the rules to starts without them above 0.5, summed over two replicates and "
            "the two sectors); needs --holdout none (docs/CALIBRATION.md).",
            min=0.0,
        ),
    ] = 0.0,
    until: Annotated[
        str | None,
        typer.Option(
            help="Stop starting trials at this time, HH:MM on a 24-hour clock (the next such "
            "time: before now means tomorrow); the set is written from the trials completed.",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Calibrate a scenario's parameters against the facts (resumable). With a holdout,
    the study's runs stop in the year before it (the best set is then run to the end once,
    to record its held-out facts)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from overcap.calibration import calibrate as run_calibration
    from overcap.calibration import write
    from overcap.evidence import FactsError, load_facts
    from overcap.scenario import calibration_dir

    try:
        load_scenario(scenario, calibrated=False)
        load_facts(facts)
    except (ScenarioError, FactsError) as exc:
        _fail(str(exc))
        return
    span = None if holdout.strip().lower() == "none" else _years(holdout, "--holdout")
    deadline = None if until is None else _clock(until)
    extra_seeds: list[int] = []
    for part in (plausibility_seeds or "").split(","):
        if not part.strip():
            continue
        try:
            extra_seeds.append(int(part))
        except ValueError:
            _fail(f"--plausibility-seeds: {part.strip()!r}; allowed: comma-separated seeds >= 0")
    warm = None
    warm_pv = None
    if start_from is not None:
        try:
            warm_doc = json.loads(start_from.read_text())
            warm = {k: float(v) for k, v in warm_doc["params"].items()}
            warm_pv = {"file": str(start_from), **dict(warm_doc.get("provenance", {}))}
            warm_pv.pop("ranges", None)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            _fail(f"--start-from {start_from}: not a calibrated set (a JSON file with 'params')")
    journal = storage or Path("overcap-results") / "calibration" / f"{Path(scenario).stem}.journal"
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not _progress_enabled(quiet),
    ) as bar:
        task = bar.add_task(f"calibrating {scenario}", total=trials)
        try:
            result = run_calibration(
                scenario,
                trials=trials,
                runs_per_trial=runs_per_trial,
                storage=journal,
                seed=seed,
                workers=workers,
                facts_path=facts,
                holdout=span,
                params=[p.strip() for p in params.split(",")] if params else None,
                progress=lambda d, n: bar.update(task, completed=d),
                start_from=warm,
                start_from_provenance=warm_pv,
                robustness=robustness,
                plausibility=plausibility,
                shrinkage=shrinkage,
                sampler=sampler,
                sigma0=sigma0,
                plausibility_seeds=extra_seeds,
                deadline=deadline,
                plausibility_margin=plausibility_margin,
                replacement=replacement,
            )
        except ValueError as exc:
            _fail(str(exc))
            return
    target = out or journal.with_suffix(".json")
    write(result, target)
    pv = result["provenance"]
    held = (
        f"{pv['passed_holdout']}/{pv['total_holdout']} held-out facts pass"
        if show_holdout or not pv["total_holdout"]
        else f"{pv['total_holdout']} facts held out, not shown (--show-holdout)"
    )
    if pv.get("stopped_at_deadline"):
        console.print(f"stopped at --until {until}: {pv['trials_completed']} of {trials} trials")
    console.print(
        f"{pv['trials_completed']} trials ({pv['trials_before_this_call']} were already in "
        f"{journal}). Best loss {pv['loss_in_sample']:.3f}: {pv['passed_in_sample']}/"
        f"{pv['total_in_sample']} in-sample facts pass; {held} ({runs_per_trial} runs per "
        "trial)."
    )
    if pv["at_edge_of_range"]:
        console.print("at the edge of their range: " + ", ".join(pv["at_edge_of_range"]))
    if pv.get("replacement") and pv.get("replacement_ratio") is not None:
        console.print(
            f"2019 starts with the replacement rules over without them: at most "
            f"{pv['replacement_ratio']:.2f} (the term adds {pv['replacement_excess']:.3f} "
            f"x {pv['replacement']:g})"
        )
    console.print(f"calibrated set written to [bold]{target}[/]")
    if install:
        dest = calibration_dir() / f"{Path(scenario).stem}.json"
        write(result, dest)
        console.print(
            f'installed as {dest}; scenarios with calibration = "{Path(scenario).stem}" load it'
        )


def _clock(text: str) -> dt.datetime:
    """The next time it is ``text`` (HH:MM, 24-hour clock) on this machine: today, or
    tomorrow if that time has passed today. A one-line error for anything else."""
    try:
        t = dt.datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        _fail(f"--until {text!r}: expected a time HH:MM on a 24-hour clock, e.g. 11:35")
        raise  # not reached: _fail exits
    now = dt.datetime.now()
    at = dt.datetime.combine(now.date(), t)
    return at if at > now else at + dt.timedelta(days=1)


def _writable_dir(path: Path) -> str | None:
    """Why ``path`` cannot be a folder to write into, or None if it can."""
    if path.exists() and not path.is_dir():
        return "it is a file, not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".overcap-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


@command()
def report(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            help="Scenario names or TOML paths (default baseline); the first is the reference."
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="Runs per scenario.", min=1, max=1000)] = 5,
    lang: Annotated[str, typer.Option(help="Language of the report: zh-TW or en.")] = "zh-TW",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write into (default overcap-results/report/SCENARIOS)."),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed; replicate i of every scenario shares stream i.", min=0)
    ] = 0,
    facts: Annotated[
        Path | None, typer.Option(help="Facts file (default: the packaged facts.csv).")
    ] = None,
    sector: Annotated[str, typer.Option(help="The price-war figure's sector.")] = "solar_pv",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override for every scenario: path=value (repeatable)."),
    ] = None,
    png: Annotated[bool, typer.Option(help="Also write the figures as PNG files.")] = True,
    results: ResultsRoot = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Store each scenario's runs as experiment NAME-SCENARIO (default generated)."
        ),
    ] = None,
    from_experiment: Annotated[
        list[str] | None,
        typer.Option(
            "--from-experiment",
            help="Draw from a stored ensemble instead of running (repeatable, one per scenario).",
        ),
    ] = None,
    attribution: Annotated[
        str | None,
        typer.Option(
            help="A stored attribution experiment (overcap attribute --name): its figures "
            "and the claims table are written beside the report."
        ),
    ] = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    quiet: Quiet = False,
) -> None:
    """Write the report: one HTML file and PNG figures, in zh-TW or English.

    The HTML file is self-contained (interactive figures, opens offline); the same
    figures are written as PNG. The runs are stored in the results store (printed), and
    the medians and bands are computed from the stored runs; --from-experiment draws a
    report from ensembles stored earlier."""
    import warnings

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from overcap.evidence import FactsError, load_facts
    from overcap.experiments import Execution
    from overcap.report import ReportData, messages, write_report
    from overcap.report.fonts import MissingFontWarning
    from overcap.store import StoreError

    if from_experiment and scenarios:
        _fail("give scenarios or --from-experiment, not both")
    names = scenarios or ["baseline"]
    try:
        lang = messages.check_lang(lang)
    except ValueError:
        _fail(f"--lang {lang!r}: unknown; allowed: {', '.join(messages.LANGS)}")
    stored_data = None
    thesis_answer = None
    if attribution is not None:
        from overcap.attribution import AttributionError
        from overcap.attribution import load as load_attribution

        try:
            thesis_answer = load_attribution(attribution, results)
        except (AttributionError, StoreError) as exc:
            _fail(f"--attribution {attribution}: {exc}")
    try:
        fact_list, _ = load_facts(facts)
        if from_experiment:
            if set_:
                _fail("--set does not apply to stored runs (--from-experiment)")
            stored_data = ReportData.from_experiments(from_experiment, results, fact_list)
            loaded = [stored_data.runs[n][0].scenario for n in stored_data.scenarios]
        else:
            loaded = [load_scenario(n, set_ or []) for n in names]
    except (ScenarioError, FactsError, StoreError, ValueError) as exc:
        _fail(str(exc))
        return
    if sector not in loaded[0].sector_ids:
        _fail(f"--sector {sector!r}: unknown; allowed: {', '.join(loaded[0].sector_ids)}")
    seen = [sc.name for sc in loaded]
    dup = next((n for n in seen if seen.count(n) > 1), None)
    if dup is not None:
        _fail(f"scenario {dup!r} is named twice; name each scenario once")
    target = out or Path("overcap-results") / "report" / "+".join(seen)
    why = _writable_dir(target)
    if why is not None:
        _fail(f"--out {target}: cannot write there ({why}); give a folder you can write to")
    t0 = time.perf_counter()
    if stored_data is not None:
        data = stored_data
        runs = min(data.n_runs(s) for s in data.scenarios)
    else:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not _progress_enabled(quiet),
        ) as bar:
            tasks = {sc.name: bar.add_task(sc.name, total=runs) for sc in loaded}
            try:
                data = ReportData.build(
                    loaded,
                    runs=runs,
                    seed=seed,
                    facts=fact_list,
                    progress=lambda sc_name, i, n: bar.update(tasks[sc_name], completed=i),
                    execution=Execution(
                        name=name,
                        results=results if results is not None else Path("overcap-results"),
                        workers=workers,
                        scheduler=scheduler,
                    ),
                )
            except (StoreError, ValueError) as exc:
                _fail(str(exc))
                return
    t_runs = time.perf_counter() - t0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingFontWarning)
        with console.status(f"drawing the report ({lang}) ..."):
            files = write_report(data, target, lang=lang, png=png, sector=sector)
    for w in caught:
        if issubclass(w.category, MissingFontWarning):
            err.print(f"[bold yellow]warning:[/] {escape(str(w.message))}", highlight=False)
    console.print(
        f"{len(loaded)} scenario(s) x {runs} runs in {t_runs:.1f} s; report drawn in "
        f"{files.seconds:.1f} s: {files.html_bytes / 1e6:.1f} MB HTML"
        + (f", {len(files.pngs)} PNG figures in {files.pngs[0].parent}" if files.pngs else "")
        + ".",
        highlight=False,
    )
    for sc_name, exp_name in data.experiments.items():
        console.print(f"runs of {sc_name}: experiment {exp_name}", highlight=False)
    console.print(f"report: [bold]{files.html}[/]", highlight=False)
    if thesis_answer is not None:
        from overcap.experiments import open_experiment
        from overcap.report import thesis

        a_seed = int(open_experiment(thesis_answer.experiment, results).spec["seed"])
        written = thesis.write(thesis_answer, target, lang, seed=a_seed)
        console.print(f"attribution and claims: [bold]{written[-1]}[/]", highlight=False)


@command()
def sweep(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="Vary a parameter over values: path.to.param=V1,V2,... (repeatable; the "
            "grid is every combination)."
        ),
    ] = None,
    lhs: Annotated[
        list[str] | None,
        typer.Option(
            help="Vary a parameter over a range by Latin hypercube: path.to.param=LOW:HIGH "
            "(repeatable; --samples points)."
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option(help="Latin hypercube points (with --lhs).", min=1, max=1_000_000)
    ] = 10,
    runs: Annotated[
        int, typer.Option(help="Replicates per point (replicate r shares stream r).", min=1)
    ] = 1,
    seed: ScenarioSeed = None,
    set_: FixedSets = None,
    years: Annotated[
        str | None,
        typer.Option(help="Years of the printed indicators, FROM-TO (default: all)."),
    ] = None,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    retry_failed: RetryFailed = False,
    batch_size: BatchSize = None,
    quiet: Quiet = False,
) -> None:
    """A parameter sweep: a grid and/or a Latin hypercube of parameter values.

    Each point is run --runs times and stored as an experiment (query it with
    `overcap query`)."""
    from overcap.experiments import Execution, overrides_dict
    from overcap.experiments import sweep as run_sweep

    span = _years(years)
    if not grid and not lhs:
        _fail("sweep needs --grid PATH=V1,V2,... or --lhs PATH=LOW:HIGH")
    try:
        overrides = overrides_dict(set_)
        sc = load_scenario(scenario, overrides)
        exp_name = _experiment_name("sweep", scenario, name, results)
    except (ScenarioError, StoreError) as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    exp, summary = _run_experiment(
        ctx,
        f"sweep {sc.name}",
        quiet,
        lambda bar: run_sweep(
            scenario,
            grid=list(grid or []),
            lhs=list(lhs or []),
            samples=samples,
            runs=runs,
            seed=seed,
            overrides=overrides,
            loaded=sc,  # the scenario checked above: loaded once
            execution=Execution(
                name=exp_name,
                results=results,
                resume=resume,
                retry_failed=retry_failed,
                workers=workers,
                scheduler=scheduler,
                batch_size=batch_size,
                progress=bar,
            ),
        ),
    )
    if summary.ok:
        _print_sweep(exp, span)
    _report(ctx, summary)


def _print_sweep(exp: Experiment, years: tuple[int, int] | None, limit: int = 40) -> None:
    from overcap.compare import indicator_values

    shown = ("gdp_growth", "aggregate_utilisation", "zombie_share", "fiscal_cost_share_gdp")
    vals = indicator_values(exp, years, shown)
    med_frame = vals.groupby("sample")[list(shown)].median().reset_index()
    med = {int(r["sample"]): r for r in _records(med_frame)}
    samples = exp.samples()
    params = [c for c in samples.columns if c not in ("sample", "scenario")]
    t = Table(
        title=f"{exp.name}: median over each point's runs"
        + (f", {years[0]}-{years[1]}" if years else ""),
        title_justify="left",
    )
    t.add_column("sample", justify="right")
    for c in params:
        t.add_column(c, justify="right")
    for c in shown:
        t.add_column(c, justify="right")
    for row in _records(samples.head(limit)):
        j = int(row["sample"])
        cells = [f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in params]
        vals_row = [f"{med[j][c]:.3g}" if j in med else "-" for c in shown]
        t.add_row(str(j), *cells, *vals_row)
    console.print(t)
    if len(samples) > limit:
        console.print(f"... {len(samples) - limit} more points")
    console.print(
        f"query it: overcap query --name {exp.name} "
        '"SELECT sample, avg(aggregate_utilisation) FROM economy GROUP BY sample"'
    )


@command()
def sensitivity(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    params: Annotated[
        str,
        typer.Option(
            help="Comma-separated parameters, each path (its documented range) or path=LOW:HIGH."
        ),
    ] = "",
    method: Annotated[str, typer.Option(help="sobol or morris.")] = "sobol",
    samples: Annotated[
        int,
        typer.Option(
            help="Sobol: base samples N, a power of 2 (N x (D+2) points); Morris: "
            "trajectories (N x (D+1) points).",
            min=2,
        ),
    ] = 64,
    outputs: Annotated[
        str,
        typer.Option(help="Comma-separated indicators (those of `overcap compare`)."),
    ] = "aggregate_utilisation",
    runs: Annotated[
        int, typer.Option(help="Replicates averaged per point (common random numbers).", min=1)
    ] = 1,
    years: Annotated[
        str | None, typer.Option(help="Years the outputs average over, FROM-TO (default: all).")
    ] = None,
    seed: ScenarioSeed = None,
    set_: FixedSets = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the indices as JSON.")] = False,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    batch_size: BatchSize = None,
    quiet: Quiet = False,
) -> None:
    """Global sensitivity (SALib): Sobol' indices or Morris elementary effects.

    First-order and total Sobol' indices, or Morris elementary effects, with 95%
    confidence intervals, stored with the experiment. A warning says when the sample is
    too small for the indices to mean anything."""
    from overcap.experiments import Execution, overrides_dict
    from overcap.sensitivity import sensitivity as run_sensitivity

    span = _years(years)
    plist = [p.strip() for p in params.split(",") if p.strip()]
    olist = [o.strip() for o in outputs.split(",") if o.strip()]
    try:
        overrides = overrides_dict(set_)
        sc = load_scenario(scenario, overrides)
        exp_name = _experiment_name("sensitivity", scenario, name, results)
    except (ScenarioError, StoreError) as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    exp, summary, table = _run_experiment(
        ctx,
        f"{method} {sc.name}",
        quiet or as_json,
        lambda bar: run_sensitivity(
            scenario,
            plist,
            method=method,
            samples=samples,
            outputs=olist,
            runs=runs,
            seed=seed,
            years=span,
            overrides=overrides,
            loaded=sc,  # the scenario checked above: loaded once
            execution=Execution(
                name=exp_name,
                results=results,
                resume=resume,
                workers=workers,
                scheduler=scheduler,
                batch_size=batch_size,
                progress=bar,
            ),
        ),
    )
    if as_json:
        sys.stdout.write(table.to_json(orient="records") + "\n")
    else:
        for o, g in table.groupby("output", sort=False):
            t = Table(
                title=f"{method} indices of {o}, {g['years'].iloc[0]}",
                caption=f"{len(exp.spec['samples'])} points x {exp.spec['runs']} runs; "
                "+- is the half-width of the 95% confidence interval",
                title_justify="left",
            )
            t.add_column("parameter")
            if method == "sobol":
                t.add_column("first order S1", justify="right")
                t.add_column("total ST", justify="right")
                for r in _records(g):
                    t.add_row(
                        str(r["parameter"]),
                        f"{r['S1']:.3f} +- {r['S1_conf']:.3f}",
                        f"{r['ST']:.3f} +- {r['ST_conf']:.3f}",
                    )
            else:
                t.add_column("mu*", justify="right")
                t.add_column("mu", justify="right")
                t.add_column("sigma", justify="right")
                for r in _records(g):
                    t.add_row(
                        str(r["parameter"]),
                        f"{r['mu_star']:.4g} +- {r['mu_star_conf']:.3g}",
                        f"{r['mu']:.4g}",
                        f"{r['sigma']:.4g}",
                    )
            console.print(t)
    from overcap.sensitivity import small_sample_warning

    for _, g in table.groupby("output", sort=False):
        if (why := small_sample_warning(g, method, samples)) is not None:
            err.print(
                f"[bold yellow]warning:[/] {escape(str(g['output'].iloc[0]))}: {escape(why)}",
                highlight=False,
            )
    _report(ctx, summary)


def _g(v: float) -> str:
    return f"{v:.3g}"


def _attribution_tables(a: Any) -> None:
    """One table per outcome: each mechanism's median share with its band, the mean, and
    (sampled orderings) the standard error; the total it adds up to; the strongest pairs."""
    band = f"{a.level:.0%} band"
    sampled = a.method == "permutation"
    for o, label in a.outcomes.items():
        c = a.contributions[a.contributions["outcome"] == o]
        tot = _records(a.totals[a.totals["outcome"] == o])[0]
        t = Table(
            title=f"{label}: each mechanism's share",
            caption=f"all on {_g(tot['full'])}, all off {_g(tot['null'])}; median over "
            f"{a.runs} replicates, {band} by bootstrap"
            + ("; se of the mean from the sampled orderings" if sampled else ""),
            title_justify="left",
        )
        t.add_column("mechanism")
        t.add_column(f"median [{band}]", justify="right")
        t.add_column("mean", justify="right")
        if sampled:
            t.add_column("se", justify="right")
        for r in _records(c):
            cells = [str(r["player"]), f"{_g(r['median'])} [{_g(r['lo'])}, {_g(r['hi'])}]"]
            cells.append(_g(r["mean"]))
            if sampled:
                cells.append(_g(r["stderr"]))
            t.add_row(*cells)
        cells = ["all on - all off", f"{_g(tot['total'])} [{_g(tot['lo'])}, {_g(tot['hi'])}]"]
        cells.append(_g(tot["mean"]))
        t.add_row(*cells, *([""] if sampled else []), style="bold")
        console.print(t)
        pairs = _records(a.strongest_pairs(o))
        if pairs:
            console.print(f"strongest pair interactions, median [{band}]:", highlight=False)
        for r in pairs:
            console.print(
                f"  {r['a']} x {r['b']}: {_g(r['median'])} [{_g(r['lo'])}, {_g(r['hi'])}]",
                highlight=False,
            )
    if sampled:
        console.print("pair interactions need every coalition (--method exact)")


@command()
def attribute(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    runs: Annotated[
        int, typer.Option(help="Replicates per coalition (common random numbers).", min=1)
    ] = 10,
    outcomes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated outcomes: idle_capacity, utilisation, zombie_share, "
            "fiscal_cost_share_gdp, margin, export_share, gdp_growth, gdp_gap, each "
            "optionally over its own years (idle_capacity_2009_2013). Default: idle "
            "capacity in 2009-2013, 2015-2019 and 2023-2025, and the others over --years."
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(help="Years of the outcomes named without their own, FROM-TO (default: all)."),
    ] = None,
    players: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated mechanisms (default: all nine; the others stay as the "
            "scenario sets them): strategic_label, tournament, soft_budget, "
            "soe_output_targets, local_protection, limited_visibility, trade_response, "
            "campaigns, policy_cycle."
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            help="exact (all 2^k coalitions), permutation (sampled orderings) or auto "
            "(exact up to 10,240 runs)."
        ),
    ] = "auto",
    permutations: Annotated[
        int | None,
        typer.Option(help="Orderings sampled by the permutation method, even (default 2k).", min=4),
    ] = None,
    level: Annotated[
        float, typer.Option(help="Coverage of the bootstrap bands.", min=0.5, max=0.99)
    ] = 0.9,
    seed: ScenarioSeed = None,
    set_: FixedSets = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print the contributions (and totals) as CSV.")
    ] = False,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    retry_failed: RetryFailed = False,
    batch_size: BatchSize = None,
    quiet: Quiet = False,
) -> None:
    """Each mechanism's share of overcapacity: Shapley values over mechanism switches.

    The mechanisms of the thesis are the players of a cooperative game; every coalition
    (the mechanisms left on) is run --runs times as one stored experiment, replicate r
    on the same random stream in every coalition. The table gives each mechanism's
    Shapley value per outcome (median over replicates with a bootstrap band, and the
    mean), the total they add up to (all on minus all off), and the strongest pair
    interactions. Above 10,240 runs the permutation method samples orderings and gives
    standard errors. Resume an experiment to run what is missing or to compute other
    outcomes from its runs."""
    from overcap.attribution import AttributionError, choose_method, select_players
    from overcap.attribution import attribute as run_attribute
    from overcap.experiments import Execution, overrides_dict
    from overcap.outcomes import OutcomeError, parse_all

    if as_json and as_csv:
        _fail("--json and --csv exclude each other")
    span = _years(years)
    olist = None if outcomes is None else [o.strip() for o in outcomes.split(",")]
    plist = None if players is None else [p.strip() for p in players.split(",")]
    try:
        overrides = overrides_dict(set_)
        sc = load_scenario(scenario, overrides)
        recorded = (sc.time.start_year, sc.time.end_year)
        choose_method(method, len(select_players(plist)), runs)
        if span is not None and (span[0] < recorded[0] or span[1] > recorded[1]):
            raise AttributionError(
                f"--years {span[0]}-{span[1]}: not all recorded; the scenario records "
                f"{recorded[0]}-{recorded[1]}"
            )
        parse_all(olist, recorded, span)
        exp_name = _experiment_name("attribution", scenario, name, results)
    except (ScenarioError, StoreError, AttributionError, OutcomeError) as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    try:
        a = _run_experiment(
            ctx,
            f"attribution {sc.name}",
            quiet or as_json or as_csv,
            lambda bar: run_attribute(
                scenario,
                runs=runs,
                outcomes=olist,
                years=span,
                players=plist,
                method=method,
                permutations=permutations,
                seed=seed,
                overrides=overrides,
                level=level,
                loaded=sc,  # the scenario checked above: loaded once
                execution=Execution(
                    name=exp_name,
                    results=results,
                    resume=resume,
                    retry_failed=retry_failed,
                    workers=workers,
                    scheduler=scheduler,
                    batch_size=batch_size,
                    progress=bar,
                ),
            ),
        )
    except AttributionError as exc:
        _fail(str(exc))
        return
    if as_json:
        out = {
            "experiment": a.experiment,
            "scenario": a.scenario,
            "method": a.method,
            "players": list(a.players),
            "runs": a.runs,
            "level": a.level,
            "outcomes": a.outcomes,
            "contributions": _records(a.contributions),
            "totals": _records(a.totals),
            "interactions": _records(a.interactions),
        }
        sys.stdout.write(json.dumps(_json_safe(out), allow_nan=False) + "\n")
    elif as_csv:
        sys.stdout.write(a.contributions.to_csv(index=False))
    else:
        _attribution_tables(a)
    _report(ctx, a.summary)


def _json_safe(v: Any) -> Any:
    """Plain JSON: numpy scalars as Python numbers, NaN and infinities as null."""
    import math

    import numpy as np

    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@command()
def discover(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    criterion: Annotated[
        str,
        typer.Option(
            help='What should hold, e.g. "utilisation_2025_2030 >= 0.8 and gdp_gap >= -0.5": '
            "outcomes (those of `overcap attribute`, optionally _FROM_TO) compared with "
            "numbers, joined by and, or, not and parentheses."
        ),
    ] = "",
    levers: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated policy levers, each path (its documented range; a switch: "
            "on or off) or path=LOW:HIGH (default: the reform switches, subsidy intensity, "
            "bailout propensities, campaigns, price floors and trade responses)."
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option(help="Points in lever space.", min=2, max=1_000_000)
    ] = 200,
    uncertain: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated calibrated parameters drawn from their calibration ranges "
            "(path or path=LOW:HIGH), crossed with every policy point."
        ),
    ] = None,
    uncertain_samples: Annotated[
        int, typer.Option(help="Draws of the uncertain parameters per policy point.", min=1)
    ] = 4,
    sampler: Annotated[str, typer.Option(help="lhs (Latin hypercube) or sobol.")] = "lhs",
    runs: Annotated[
        int, typer.Option(help="Replicates per point, averaged (common random numbers).", min=1)
    ] = 1,
    years: Annotated[
        str | None,
        typer.Option(help="Years of the outcomes named without their own, FROM-TO (default: all)."),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Density the reported box must reach.", min=0.01, max=1.0)
    ] = 0.8,
    seed: ScenarioSeed = None,
    set_: FixedSets = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    name: Name = None,
    results: ResultsRoot = None,
    workers: Workers = None,
    scheduler: SchedulerAddr = None,
    resume: Resume = False,
    retry_failed: RetryFailed = False,
    batch_size: BatchSize = None,
    quiet: Quiet = False,
) -> None:
    """Which policies keep overcapacity away: PRIM scenario discovery over policy levers.

    Samples the levers (optionally crossed with draws of uncertain structural
    parameters), runs every point as one stored experiment, evaluates the criterion on
    each point's outcomes (averaged over its replicates) and finds, with PRIM, the box
    of lever values where it holds: the peeling trajectory (coverage, density, mass),
    the chosen box's limits and the levers that matter most (extra-trees scores). Resume
    an experiment (--name, --resume) to run what is missing or to ask another criterion
    (or --threshold, --years) of its runs without running them again. Needs
    ema-workbench, the optional extra named discovery (see docs/THESIS.md)."""
    from overcap.discovery import (
        DEFAULT_LEVERS,
        DiscoveryError,
        parse_criterion,
        parse_levers,
        run_discovery,
        uncertain_levers,
    )
    from overcap.experiments import Execution, overrides_dict
    from overcap.outcomes import OutcomeError, parse

    span = _years(years)
    llist = None if levers is None else [x.strip() for x in levers.split(",") if x.strip()]
    ulist = [] if uncertain is None else [x.strip() for x in uncertain.split(",") if x.strip()]
    try:
        crit = parse_criterion(criterion)
        parse_levers(llist or DEFAULT_LEVERS)
        overrides = overrides_dict(set_)
        sc = load_scenario(scenario, overrides)
        uncertain_levers(ulist, sc)
        recorded = (sc.time.start_year, sc.time.end_year)
        if span is not None and (span[0] < recorded[0] or span[1] > recorded[1]):
            raise DiscoveryError(
                f"--years {span[0]}-{span[1]}: not all recorded; the scenario records "
                f"{recorded[0]}-{recorded[1]}"
            )
        for n in crit.names:
            parse(n, recorded, span, "--criterion")
        exp_name = _experiment_name("discovery", scenario, name, results)
    except (ScenarioError, StoreError, DiscoveryError, OutcomeError) as exc:
        _fail(str(exc))
        return
    ctx.meta["experiment"] = exp_name
    ctx.meta["results"] = results
    try:
        d = _run_experiment(
            ctx,
            f"discovery {sc.name}",
            quiet or as_json,
            lambda bar: run_discovery(
                scenario,
                criterion,
                levers=llist,
                samples=samples,
                uncertain=ulist,
                uncertain_samples=uncertain_samples,
                runs=runs,
                years=span,
                sampler=sampler,
                threshold=threshold,
                seed=seed,
                overrides=overrides,
                loaded=sc,
                execution=Execution(
                    name=exp_name,
                    results=results,
                    resume=resume,
                    retry_failed=retry_failed,
                    workers=workers,
                    scheduler=scheduler,
                    batch_size=batch_size,
                    progress=bar,
                ),
            ),
        )
    except (DiscoveryError, ImportError) as exc:
        _fail(str(exc))
        return
    res = d.result
    holds = int(d.points["criterion"].sum())
    if as_json:
        out = {
            "experiment": d.experiment,
            "criterion": d.criterion,
            "points": len(d.points),
            "holds": holds,
            "levers": list(d.levers),
            "uncertain": list(d.uncertain),
            "trajectory": None if res is None else _records(res.trajectory),
            "chosen": None if res is None else res.chosen,
            "box": None
            if res is None or res.limits is None
            else _records(res.limits.reset_index()),
            "scores": None if d.scores is None else {str(k): float(v) for k, v in d.scores.items()},
        }
        sys.stdout.write(json.dumps(_json_safe(out), allow_nan=False) + "\n")
        _report(ctx, d.summary)
        return
    console.print(
        f"criterion {d.criterion!r} holds in {holds} of {len(d.points)} points", highlight=False
    )
    if res is None:
        console.print("no box to find: the criterion holds in " + ("every" if holds else "no")
                      + " point")  # fmt: skip
    else:
        t = Table(title="PRIM's peeling trajectory", title_justify="left")
        for c in ("step", "coverage", "density", "mass", "levers restricted"):
            t.add_column(c, justify="right")
        for r in _records(res.trajectory):
            mark = " *" if r["step"] == res.chosen else ""
            t.add_row(
                f"{r['step']}{mark}",
                f"{r['coverage']:.2f}",
                f"{r['density']:.2f}",
                f"{r['mass']:.2f}",
                str(r["n_restricted"]),
            )
        console.print(t)
        lim = res.limits
        if lim is None:
            console.print(
                f"no box reaches density {res.threshold:g}; lower --threshold or add points",
                highlight=False,
            )
        else:
            st = res.stats() or {}
            b = Table(
                title=f"the box (step {res.chosen}): coverage {st['coverage']:.2f}, density "
                f"{st['density']:.2f}",
                title_justify="left",
            )
            b.add_column("lever")
            b.add_column("from", justify="right")
            b.add_column("to", justify="right")
            for lever, r in zip(lim.index, _records(lim), strict=True):
                if not r["restricted"]:
                    continue
                if pd_bool(d.points[lever]):
                    b.add_row(str(lever), *(("on" if r[k] else "off") for k in ("lo", "hi")))
                else:
                    b.add_row(str(lever), f"{r['lo']:.4g}", f"{r['hi']:.4g}")
            console.print(b)
    if d.scores is not None:
        f = Table(title="levers that matter most (extra trees)", title_justify="left")
        f.add_column("lever")
        f.add_column("score", justify="right")
        for lever, v in d.scores.items():
            f.add_row(str(lever), f"{v:.3f}")
        console.print(f)
    _report(ctx, d.summary)


@command("runs")
def runs_cmd(
    name: Annotated[
        str | None, typer.Argument(help="An experiment: its sessions and failed runs.")
    ] = None,
    results: ResultsRoot = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
) -> None:
    """List the stored experiments (or one experiment's sessions and failed runs)."""
    from overcap.experiments import open_experiment
    from overcap.store import list_experiments, root_of

    try:
        if name is None:
            table = list_experiments(results)
            if as_json:
                sys.stdout.write(table.to_json(orient="records") + "\n")
                return
            if table.empty:
                console.print(f"no experiments in {root_of(results)}")
                return
            # (column of the listing, header, left-justified)
            cols = (
                ("name", "name", True),
                ("kind", "kind", True),
                ("scenarios", "scenarios", True),
                ("samples", "points", False),
                ("replicates", "x runs", False),
                ("ok", "ok", False),
                ("failed", "failed", False),
                ("missing", "missing", False),
                ("seed", "seed", False),
                ("created", "created", True),
                ("last_session", "last session", True),
            )
            recs = _records(table)
            headers = [h for _, h, _ in cols] + ["MB"]
            right = [not left for _, _, left in cols] + [True]
            rows = [
                [escape(str(r[k])) for k, _, _ in cols] + [f"{r['bytes'] / 1e6:.1f}"] for r in recs
            ]
            if not fmt.fits(headers, rows, console.width):  # the columns that matter most
                headers = ["name", "kind", "runs ok/all", "failed", "created"]
                right = [False, False, True, True, False]
                rows = [
                    [
                        escape(str(r["name"])),
                        escape(str(r["kind"])),
                        f"{r['ok']}/{r['ok'] + r['failed'] + r['missing']}",
                        str(r["failed"]),
                        escape(str(r["created"])[:16]),
                    ]
                    for r in recs
                ]
            # names in full (to copy): a table when it fits, else one block per experiment
            view = fmt.table_or_records(
                headers,
                rows,
                console.width,
                title=escape(f"experiments in {root_of(results)}"),
                right=right,
                label="experiment",
                note=" (`overcap runs NAME` for one; --json for every field)",
            )
            console.print(view, highlight=False)
            return
        exp = open_experiment(name, results)
        runs = exp.runs()
        sessions = exp.store.sessions()
    except (ExperimentError, StoreError) as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(
            runs.drop(columns=["started", "finished"]).to_json(orient="records") + "\n"
        )
        return
    spec = exp.spec
    console.print(
        f"[bold]{escape(exp.name)}[/]: {spec['kind']} of {', '.join(spec['scenarios'])}, "
        f"{len(spec['samples'])} points x {spec['runs']} runs = {spec['total_runs']}, seed "
        f"{spec['seed']}, created {spec.get('created', '?')}, overcap {spec.get('version', '?')}",
        highlight=False,
    )
    ok = int((runs["status"] == "ok").sum())
    failed = int((runs["status"] != "ok").sum())
    console.print(
        f"runs: {ok} ok, {failed} failed, {spec['total_runs'] - ok - failed} missing; "
        f"median {runs['seconds'].median() if len(runs) else float('nan'):.2f} s per run",
        highlight=False,
    )
    srows = []
    for r in _records(sessions):
        fin = r["finished"]
        srows.append(
            [
                str(r["session"]),
                str(r["started"])[:19],
                "" if fin is None or fin != fin else str(fin)[:19],
                escape(str(r["status"])),
                escape(str(r["executor"])),
                str(r["runs_ok"]),
                str(r["runs_failed"]),
                str(r["runs_lost"]),
            ]
        )
    heads = ["session", "started", "finished", "status", "executor", "ok", "failed", "missing"]
    console.print(
        fmt.table_or_records(heads, srows, console.width, title="sessions", label="session"),
        highlight=False,
    )
    bad = runs[runs["status"] != "ok"]
    if len(bad):
        brows = [
            [
                str(r["run"]),
                str(r["sample"]),
                str(r["replicate"]),
                escape(str(r["parameters"])),
                escape(str(r["error"]).splitlines()[0]),
            ]
            for r in _records(bad.head(50))
        ]
        heads = ["run", "sample", "replicate", "parameters", "error"]
        console.print(
            fmt.table_or_records(heads, brows, console.width, title="failed runs", label="run"),
            highlight=False,
        )


@command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="DuckDB SQL over the views experiments, runs, samples, scenarios, sessions, "
            "indices, outputs, sectors, provinces, economy, trade."
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="One experiment (default: every experiment).")
    ] = None,
    results: ResultsRoot = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    max_rows: Annotated[
        int, typer.Option("--max-rows", help="Rows shown in the table.", min=1)
    ] = 50,
) -> None:
    """Run DuckDB SQL over the stored results; every view has an experiment column."""
    from overcap.store import query as run_query

    try:
        frame = run_query(sql, name, results)
    except (ExperimentError, StoreError) as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
        return
    if as_csv:
        sys.stdout.write(frame.to_csv(index=False))
        return
    title = f"{len(frame)} rows" + (f", first {max_rows}" if len(frame) > max_rows else "")
    headers = [str(c) for c in frame.columns]
    rows = [[escape(_cell(v)) for v in row.values()] for row in _records(frame.head(max_rows))]
    # too wide for the terminal: one block per row (column, value), never an empty grid
    view = fmt.table_or_records(
        headers,
        rows,
        console.width,
        title=title,
        note=" (one block per row, too wide for a table; or --csv, --json)",
        right=[pd_numeric(frame[c]) for c in frame.columns],
        label="row",
    )
    console.print(view, highlight=False)


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows as dicts (typed loosely, for printing)."""
    return list(frame.to_dict("records"))


def pd_bool(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(col))


def pd_numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col))


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@command()
def scenarios() -> None:
    """List the scenarios that ship."""
    t = Table(title="scenarios", title_justify="left")
    t.add_column("name")
    t.add_column("years")
    t.add_column("description")
    for name in available_scenarios():
        sc = load_scenario(name)
        t.add_row(name, f"{sc.time.start_year}-{sc.time.end_year}", sc.description)
    console.print(t)


@command()
def show(
    scenario: Annotated[
        str, typer.Argument(help="Scenario name or path to a TOML file.")
    ] = "baseline",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    group: Annotated[
        str | None,
        typer.Option(help="Only one section, e.g. investment, centre or sectors."),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(help="Only the parameters whose name, unit, meaning or anchor holds WORD."),
    ] = None,
    anchors: Annotated[
        bool,
        typer.Option(
            "--anchors",
            help="Print each parameter's anchor (the paper or data source its value or "
            "range rests on) after its meaning.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON.")] = False,
) -> None:
    """Show every parameter of a scenario with its unit, range and meaning.

    At 80 columns each parameter is a block: its name, value, unit, range and source on
    one line, its meaning below. --group and --search narrow the list; --anchors adds
    what each value rests on."""
    try:
        sc = load_scenario(scenario, set_ or [])
    except ScenarioError as exc:
        _fail(str(exc))
        return
    rows = parameter_rows(sc, anchors=anchors)
    # --search reads the anchors too, printed or not (rows already hold them with --anchors)
    found_in = (
        {r[0]: r[5] for r in parameter_rows(sc, anchors=True)} if search and not anchors else {}
    )
    sections = list(dict.fromkeys(r[0].split(".")[0] for r in rows)) + ["sectors"]
    if group is not None and group not in sections:
        _fail(f"--group {group!r}: unknown section; allowed: {', '.join(sections)}")
    if as_json:
        sys.stdout.write(json.dumps(sc.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    word = (search or "").lower()
    rows = [
        r
        for r in rows
        if (group is None or r[0].split(".")[0] == group)
        and (not word or any(word in x.lower() for x in (r[0], r[3], found_in.get(r[0], r[5]))))
    ]
    console.print(f"[bold]{escape(sc.name)}[/]: {escape(sc.description)}", highlight=False)
    cal = sc.calibrated or {}
    if cal:
        pv = cal.get("provenance", {})
        console.print(
            f"calibrated values from {cal.get('file')}: {pv.get('method', '')}, "
            f"{pv.get('trials_completed', '?')} trials x {pv.get('runs_per_trial', '?')} runs, "
            f"seed {pv.get('seed', '?')}, facts sha256 {str(pv.get('facts_sha256', ''))[:12]}, "
            f"{pv.get('date', '?')}, overcap {pv.get('version', '?')}; in sample "
            f"{pv.get('passed_in_sample', '?')}/{pv.get('total_in_sample', '?')}, held out "
            f"{_or_unknown(pv.get('passed_holdout'))}/{pv.get('total_holdout', '?')}",
            highlight=False,
        )
    if group is None and not word:
        console.print(
            f"{len(rows)} parameters in {len(sections) - 1} sections and {len(sc.sector_ids)} "
            "sectors; narrow with --group SECTION or --search WORD",
            style="dim",
            highlight=False,
        )
    elif not rows and group != "sectors":
        console.print("no parameter matches", highlight=False)
    if rows and console.width >= WIDE:
        t = Table(show_lines=False)
        t.add_column("parameter", no_wrap=True)
        for c in ("value", "source", "unit", "range", "meaning"):
            t.add_column(c, overflow="fold")
        for row in rows:
            t.add_row(*[escape(x) for x in row])
        console.print(t)
    elif rows:
        console.print(_parameter_blocks(rows), highlight=False)
    if (group is None and not word) or group == "sectors":
        console.print(_sector_view(sc), highlight=False)


WIDE = 120  # from this width on, parameters and sectors are tables; below, blocks


def _parameter_blocks(rows: list[tuple[str, str, str, str, str, str]]) -> Any:
    """One block per parameter (for narrow terminals), under a [section] line: 'path =
    value  unit, range, source' and the meaning indented below, wrapped to the width."""
    from rich.console import Group
    from rich.padding import Padding

    parts: list[Any] = []
    section = None
    for path, value, source, unit, rng, meaning in rows:
        head = path.split(".")[0]
        if head != section:
            section = head
            parts.append(f"\n[bold]\\[{escape(head)}][/]")
        facts = ", ".join(x for x in (unit, rng if rng != unit else "", source) if x)
        parts.append(f"[bold]{escape(path)}[/] = {escape(value)}  [dim]{escape(facts)}[/]")
        if meaning:
            parts.append(Padding(escape(meaning), (0, 0, 0, 4)))
    return Group(*parts)


def _sector_view(sc: Scenario) -> Any:
    """The sector parameters, value [low, high] from data/sectors.csv: a table when wide,
    else one block per sector with the parameters in columns."""
    from rich.columns import Columns
    from rich.console import Group

    table = sector_table()
    units = sector_units()
    title = "sectors (data/sectors.csv; value [low, high])"
    cells = {
        s: [
            f"{getattr(sc.sectors[s], p):g} [{table[s][p][1]:g}, {table[s][p][2]:g}]"
            for p in SECTOR_PARAMS
        ]
        for s in sc.sector_ids
    }
    if console.width >= WIDE:
        t2 = Table(title=title, title_justify="left")
        t2.add_column("sector")
        t2.add_column("unit")
        for p in SECTOR_PARAMS:
            t2.add_column(p, justify="right")
        for s in sc.sector_ids:
            t2.add_row(s, units.get(s, ""), *[escape(c) for c in cells[s]])
        return t2
    parts: list[Any] = [f"\n[bold]{escape(title)}[/]"]
    for s in sc.sector_ids:
        parts.append(f"[bold]{escape(s)}[/] [dim]({escape(units.get(s, ''))})[/]")
        pairs = [f"{p} {escape(c)}" for p, c in zip(SECTOR_PARAMS, cells[s], strict=True)]
        parts.append(Columns(pairs, padding=(0, 3), equal=True))
    return Group(*parts)


def parameter_rows(
    sc: Scenario, anchors: bool = False
) -> list[tuple[str, str, str, str, str, str]]:
    """(path, value, source, unit, range, meaning) of every scalar parameter and every
    list of sector names (joined by commas); the source is 'calibrated' for values from
    the scenario's calibrated set, else 'scenario'. With ``anchors``, the meaning ends
    with the parameter's anchor ("anchor: ..."), where the schema names one."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    calibrated = set((sc.calibrated or {}).get("params", {}))

    def add(path: str, value: Any, finfo: Any) -> None:
        lo, hi, unit = field_bounds(finfo)
        rng = f"[{lo}, {hi}]" if lo is not None or hi is not None else ""
        if finfo.annotation is bool:
            rng = "on/off"
        if isinstance(value, list):  # a list of sector names
            value = ", ".join(value) or "(none)"
            unit = unit or "sectors"
            rng = "sector names"  # which lists also take ALL: the meaning says
        source = "calibrated" if path in calibrated else "scenario"
        meaning = finfo.description or ""
        anchor = field_extra(finfo).get("anchor")
        if anchors and anchor:
            meaning = f"{meaning} (anchor: {anchor})"
        rows.append((path, str(value), source, unit, rng, meaning))

    def walk(model: Any, obj: Any, prefix: str) -> None:
        for name, finfo in type(obj).model_fields.items():
            value = getattr(obj, name)
            if isinstance(value, BaseModel):
                walk(finfo.annotation, value, f"{prefix}{name}.")
            elif isinstance(value, bool | int | float | str):
                add(f"{prefix}{name}", value, finfo)
            elif isinstance(value, list) and all(isinstance(x, str) for x in value):
                add(f"{prefix}{name}", value, finfo)

    for section in Scenario.model_fields:
        value = getattr(sc, section)
        if isinstance(value, BaseModel):
            walk(type(value), value, f"{section}.")
    return rows


@command()
def bench(
    firms: Annotated[int, typer.Option(help="Firms at the start.", min=1)] = 100_000,
    years: Annotated[int, typer.Option(help="Years to simulate.", min=1, max=200)] = 10,
    seed: Annotated[int, typer.Option(help="Random seed.", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    calibrated: Annotated[
        bool,
        typer.Option(
            "--calibrated", help="Use the calibrated baseline (default: schema defaults)."
        ),
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a parameter: path.to.param=value (repeatable), e.g. to time a "
            "rule that is off by default.",
        ),
    ] = None,
) -> None:
    """Benchmark the engine: firm-years per second and peak memory (one process, one core)."""
    from overcap.bench import as_dict
    from overcap.bench import bench as run_bench
    from overcap.experiments import overrides_dict

    try:
        overrides = overrides_dict(set_)
        with console.status(f"benchmarking {firms:,} firms x {years} years ..."):
            r = run_bench(firms, years, seed, calibrated=calibrated, overrides=overrides)
    except ScenarioError as exc:  # a bad --set: the scenario is loaded before any work
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(as_dict(r)) + "\n")
        return
    console.print(
        f"{r.firm_years:,} firm-years in {r.seconds:.2f} s: "
        f"[bold]{r.firm_years_per_second:,.0f} firm-years/s[/]; "
        f"peak memory {r.peak_memory_mb:,.0f} MB (setup {r.setup_seconds:.2f} s; "
        f"numpy {r.numpy}, python {r.python})"
    )


@command()
def dashboard(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; only this machine by default (127.0.0.1)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8050,
    lang: Annotated[str, typer.Option(help="The page's first language: zh-TW or en.")] = "zh-TW",
    runs: Annotated[
        int, typer.Option(help="Runs per scenario the page starts with (1-20).", min=1, max=20)
    ] = 4,
    seed: Annotated[int, typer.Option(help="Seed the page starts with.", min=0)] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Dask worker processes for the runs (default 2; 0: in the server process).",
            min=0,
            max=64,
        ),
    ] = None,
    results: ResultsRoot = None,
    warm: Annotated[
        bool, typer.Option(help="Start the baseline's runs at once, before the first click.")
    ] = True,
) -> None:
    """The scenario explorer in the browser (zh-TW / English).

    Pick a scenario, move the levers, run, compare with the baseline. Serves on
    http://HOST:PORT/ until Ctrl-C; the runs go to the results store (`overcap runs`,
    `overcap query`)."""
    from overcap.dashboard.app import check_address, create_app, runner_of

    try:
        dash_app = create_app(
            lang=lang, runs=runs, seed=seed, workers=workers, results=results, warm=warm
        )
        check_address(host, port)
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"overcap dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per page poll
    try:
        dash_app.run(host=host, port=port, debug=False, use_reloader=False)
    finally:
        runner_of(dash_app).shutdown()


# ---------------------------------------------------------------- diagnose


@command()
def diagnose(
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    seeds: Annotated[
        str, typer.Option(help="Seeds: N, A-B or a comma list (0-3, 0,2,5); one run each.")
    ] = "0-3",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    years: Annotated[
        str | None, typer.Option(help="Years to show and check, FROM-TO (default: all).")
    ] = None,
    replicates: Annotated[
        int,
        typer.Option(
            help="Runs per seed (replicates 0..N-1, the calibration's streams); a seed passes "
            "a check when a strict majority of its replicates do. 1: one run per seed."
        ),
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (checks, summaries, runs).")
    ] = False,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the tables as CSV files into DIR.")
    ] = None,
    calibration: CalibrationSet = None,
    quiet: Quiet = False,
) -> None:
    """Look inside a run: sectors, trade, zombies, provinces and the checks of issue 14.

    New-energy capacity, output, utilisation, margin, exports and world share; trade
    measures by sector and partner; zombies; provincial spending; sector margins; steel
    exports 1995-2000; and the checks of issue 14. Median over the seeds with min..max
    (docs/DIAGNOSTICS.md)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    import overcap.diagnostics as dg

    if as_json and csv is not None:
        _fail("--json and --csv: choose one")
    try:
        seed_list = dg.parse_seeds(seeds)
        dg.check_replicates(replicates)
        sc = load_scenario(scenario, set_ or [], calibration=calibration)
    except (dg.DiagnosticsError, ScenarioError) as exc:
        _fail(str(exc))
        return
    span = _years(years)
    if span is not None and (span[1] < sc.time.start_year or span[0] > sc.time.end_year):
        _fail(
            f"--years {years}: outside the scenario's years {sc.time.start_year}-{sc.time.end_year}"
        )
    if csv is not None and (problem := _writable_dir(csv)) is not None:
        _fail(f"--csv {csv}: {problem}")
    label = f"{sc.name}{_set_label(sc, calibration)}, {len(seed_list)} seed"
    label += "s" if len(seed_list) > 1 else ""
    if replicates > 1:
        label += f" x {replicates} replicates"
    if _progress_enabled(quiet or as_json):
        with Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=len(seed_list) * replicates)
            results = dg.run_seeds(
                sc,
                seed_list,
                progress=lambda done, total: bar.update(task, completed=done),
                replicates=replicates,
            )
    else:
        results = dg.run_seeds(sc, seed_list, replicates=replicates)
    try:
        diag = dg.diagnose(results, span, replicates)
    except dg.DiagnosticsError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(diag.to_dict(), ensure_ascii=False) + "\n")
        return
    # laid out for 80 columns: COLUMNS when set, the terminal's width, else 80
    out = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 80)
    shown = [*(set_ or []), *([f"--calibration {calibration}"] if calibration else [])]
    for part in dg.render(diag, shown):
        out.print(part)
        out.print()
    if csv is not None:
        paths = diag.write_csv(csv)
        out.print(f"{len(paths)} CSV files written to [bold]{escape(str(csv))}[/]")


def main() -> None:
    try:
        app()
    except ScenarioError as exc:  # a user error that escaped a command
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
