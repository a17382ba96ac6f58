"""The command line: thin over the public Python API."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from overcap import __version__
from overcap.scenario import (
    SECTOR_PARAMS,
    Scenario,
    ScenarioError,
    available_scenarios,
    field_bounds,
    load_scenario,
    sector_table,
    sector_units,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="overcap: simulate how a party-state economy produces overcapacity, again and again.",
)
# wide tables when the output is a file or a pipe (CI logs); errors on one line
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, soft_wrap=True)


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


def _free_dir(path: Path, overwrite: bool) -> Path:
    """Where to write: ``path`` if free (or ``overwrite``), else the first free ``path-N``,
    so a new run never destroys an earlier one unless asked."""
    if overwrite or not path.exists() or not any(path.iterdir()):
        return path
    n = 2
    while (cand := path.with_name(f"{path.name}-{n}")).exists():
        n += 1
    return cand


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="Scenario name or path to a TOML file.")
    ] = "baseline",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter: path.to.param=value (repeatable)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (default overcap-results/SCENARIO).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace the results folder if it holds an earlier run.")
    ] = False,
) -> None:
    """Run one scenario, print a summary and write the results (Parquet + run.json)."""
    from overcap.model import run as run_model

    try:
        sc = load_scenario(scenario, set_ or [])
    except ScenarioError as exc:
        _fail(str(exc))
        return
    t0 = time.perf_counter()
    with console.status(f"running {sc.name} {sc.time.start_year}-{sc.time.end_year} ..."):
        result = run_model(sc, seed=seed)
    elapsed = time.perf_counter() - t0
    _print_summary(result)
    target = _free_dir(out or Path("overcap-results") / sc.name, overwrite)
    result.save(target)  # replaces target only once the new results are fully written
    console.print(
        f"\n{sc.name}, seed {result.seed}: {elapsed:.1f} s. Results written to [bold]{target}[/] "
        "(sectors, provinces, economy and trade as Parquet; run.json)."
    )


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


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        a, _, b = text.partition("-")
        years = (int(a), int(b or a))
    except ValueError:
        _fail(f"--years {text!r}: expected FROM-TO, e.g. 2020-2030")
        raise
    if years[1] < years[0]:
        _fail(f"--years {text!r}: the last year is before the first")
    return years


@app.command()
def compare(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Two or more scenario names or TOML paths; the first is the reference."
        ),
    ],
    runs: Annotated[int, typer.Option(help="Runs per scenario.", min=1, max=10_000)] = 10,
    seed: Annotated[
        int, typer.Option(help="Seed; replicate i of every scenario shares stream i.", min=0)
    ] = 0,
    years: Annotated[
        str | None, typer.Option(help="Years to average over, FROM-TO (default: all recorded).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the table as JSON records.")
    ] = False,
) -> None:
    """Compare scenarios: medians over runs with 90% bands, and paired differences."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from overcap.compare import compare as run_compare

    if len(scenarios) < 2:
        _fail("compare needs at least two scenarios, e.g. overcap compare baseline market-reform")
    span = _years(years)
    try:
        for name in scenarios:
            load_scenario(name)
    except ScenarioError as exc:
        _fail(str(exc))
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=as_json or not err.is_terminal,
    ) as bar:
        tasks = {n: bar.add_task(n, total=runs) for n in scenarios}

        def tick(name: str, i: int, n: int) -> None:
            key = next((k for k in tasks if load_scenario(k).name == name), None)
            if key is not None:
                bar.update(tasks[key], completed=i)

        table = run_compare(scenarios, runs=runs, seed=seed, years=span, progress=tick)
    if as_json:
        sys.stdout.write(table.to_json(orient="records") + "\n")
        return
    names = list(dict.fromkeys(table["scenario"]))
    t = Table(
        title=f"{' vs '.join(names)}: {runs} runs each, {table['years'].iloc[0]}, median [5%, 95%]",
        title_justify="left",
    )
    t.add_column("indicator")
    for n in names:
        t.add_column(n, justify="right")
    for n in names[1:]:
        t.add_column(f"{n} - {names[0]}", justify="right")

    def band(row: Any, mid: str, lo: str, hi: str, sign: str = "") -> str:
        return f"{row[mid]:{sign}.3g} [{row[lo]:{sign}.3g}, {row[hi]:{sign}.3g}]"

    for _, g in table.groupby("indicator", sort=False):
        g = g.set_index("scenario")
        cells = [band(g.loc[n], "median", "p5", "p95") for n in names]
        cells += [band(g.loc[n], "diff_median", "diff_p5", "diff_p95", "+") for n in names[1:]]
        t.add_row(str(g["label"].iloc[0]), *cells)
    console.print(t)


@app.command()
def check(
    scenario: Annotated[str, typer.Argument(help="Scenario name or TOML path.")] = "baseline",
    facts: Annotated[
        Path | None, typer.Option(help="Facts file (default: the packaged facts.csv).")
    ] = None,
    runs: Annotated[int, typer.Option(help="Runs in the ensemble.", min=1, max=10_000)] = 10,
    seed: Annotated[int, typer.Option(help="Seed; run i gets stream i.", min=0)] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check a scenario against the record: every fact, the model's median over runs,
    pass or fail, and the share of runs passing."""
    from overcap.evidence import FactsError, load_facts
    from overcap.evidence import check as run_check
    from overcap.model import ensemble

    try:
        fact_list, digest = load_facts(facts)
        sc = load_scenario(scenario, set_ or [])
    except (FactsError, ScenarioError) as exc:
        _fail(str(exc))
        return
    with console.status(f"running {runs} runs of {sc.name} ...") if not as_json else _null():
        results = ensemble(sc, runs=runs, seed=seed)
    table = run_check(results, fact_list)
    passed, total = int(table["passed"].sum()), len(table)
    if as_json:
        out = {
            "scenario": sc.name,
            "runs": runs,
            "seed": seed,
            "facts_sha256": digest,
            "facts": [
                {
                    "id": r.id,
                    "what": r.what,
                    "value": None if not r.evaluable else r.value,
                    "low": _opt(r.low),
                    "high": _opt(r.high),
                    "target": _opt(r.target),
                    "passed": bool(r.passed),
                    "share_passing": r.share_passing,
                    "evaluable": bool(r.evaluable),
                    "reason": r.reason,
                }
                for r in table.itertuples()
            ],
            "passed": passed,
            "total": total,
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    t = Table(title=f"{sc.name} against the record: {runs} runs, seed {seed}", title_justify="left")
    for c in ("id", "what", "model (median)", "band / target", "pass", "runs passing"):
        t.add_column(c, justify="right" if c not in ("id", "what") else "left")
    for r in table.itertuples():
        band = (
            f"[{r.low:g}, {r.high:g}]"
            if _opt(r.low) is not None and _opt(r.high) is not None
            else f"target {r.target:g}"
            if _opt(r.target) is not None
            else "true"
        )
        value = f"{r.value:.4g}" if r.evaluable else f"not evaluable: {r.reason}"
        mark = "[green]pass[/]" if r.passed else "[red]fail[/]"
        t.add_row(
            str(r.id), escape(str(r.what)), escape(value), band, mark, f"{r.share_passing:.0%}"
        )
    console.print(t)
    console.print(f"score: [bold]{passed}/{total}[/] facts passed ({passed / total:.0%})")


def _opt(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and x != x) else float(x)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@app.command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario to calibrate.")] = "baseline",
    trials: Annotated[int, typer.Option(help="Completed trials wanted in the study.", min=1)] = 200,
    runs_per_trial: Annotated[
        int, typer.Option("--runs-per-trial", help="Replicates averaged per trial.", min=1)
    ] = 3,
    storage: Annotated[
        Path | None,
        typer.Option(
            help="Optuna journal file (default overcap-results/calibration/SCENARIO.journal)."
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
        bool, typer.Option(help="Also write it into the package, where the scenario loads it.")
    ] = False,
    start_from: Annotated[
        Path | None,
        typer.Option(
            help="A calibrated set (JSON) whose values are the first trial of a new study."
        ),
    ] = None,
) -> None:
    """Calibrate a scenario's parameters against the facts (resumable)."""
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
    span = None if holdout.strip().lower() == "none" else _years(holdout)
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
        disable=not err.is_terminal,
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
            )
        except ValueError as exc:
            _fail(str(exc))
            return
    target = out or journal.with_suffix(".json")
    write(result, target)
    pv = result["provenance"]
    console.print(
        f"{pv['trials_completed']} trials ({pv['trials_before_this_call']} were already in "
        f"{journal}). Best loss {pv['loss_in_sample']:.3f}: {pv['passed_in_sample']}/"
        f"{pv['total_in_sample']} in-sample facts and {pv['passed_holdout']}/"
        f"{pv['total_holdout']} held-out facts pass ({runs_per_trial} runs per trial)."
    )
    if pv["at_edge_of_range"]:
        console.print("at the edge of their range: " + ", ".join(pv["at_edge_of_range"]))
    console.print(f"calibrated set written to [bold]{target}[/]")
    if install:
        dest = calibration_dir() / f"{Path(scenario).stem}.json"
        write(result, dest)
        console.print(
            f'installed as {dest}; scenarios with calibration = "{Path(scenario).stem}" load it'
        )


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


@app.command()
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
) -> None:
    """Write the report: one self-contained HTML file (interactive figures, opens offline)
    and the same figures as PNG, in Traditional Chinese (zh-TW) or English (en)."""
    import warnings

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from overcap.evidence import FactsError, load_facts
    from overcap.report import ReportData, messages, write_report
    from overcap.report.fonts import MissingFontWarning

    names = scenarios or ["baseline"]
    try:
        lang = messages.check_lang(lang)
    except ValueError:
        _fail(f"--lang {lang!r}: unknown; allowed: {', '.join(messages.LANGS)}")
    try:
        loaded = [load_scenario(n, set_ or []) for n in names]
        fact_list, _ = load_facts(facts)
    except (ScenarioError, FactsError) as exc:
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
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as bar:
        tasks = {sc.name: bar.add_task(sc.name, total=runs) for sc in loaded}
        data = ReportData.build(
            loaded,
            runs=runs,
            seed=seed,
            facts=fact_list,
            progress=lambda name, i, n: bar.update(tasks[name], completed=i),
        )
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
    console.print(f"report: [bold]{files.html}[/]", highlight=False)


@app.command()
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


@app.command()
def show(
    scenario: Annotated[
        str, typer.Argument(help="Scenario name or path to a TOML file.")
    ] = "baseline",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: path=value.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON.")] = False,
) -> None:
    """Show every parameter of a scenario with its unit, range and meaning."""
    try:
        sc = load_scenario(scenario, set_ or [])
    except ScenarioError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(sc.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    console.print(f"[bold]{sc.name}[/]: {sc.description}")
    cal = sc.calibrated or {}
    if cal:
        pv = cal.get("provenance", {})
        console.print(
            f"calibrated values from {cal.get('file')}: {pv.get('method', '')}, "
            f"{pv.get('trials_completed', '?')} trials x {pv.get('runs_per_trial', '?')} runs, "
            f"seed {pv.get('seed', '?')}, facts sha256 {str(pv.get('facts_sha256', ''))[:12]}, "
            f"{pv.get('date', '?')}, overcap {pv.get('version', '?')}; in sample "
            f"{pv.get('passed_in_sample', '?')}/{pv.get('total_in_sample', '?')}, held out "
            f"{pv.get('passed_holdout', '?')}/{pv.get('total_holdout', '?')}",
            highlight=False,
        )
    t = Table(show_lines=False)
    t.add_column("parameter", no_wrap=True)
    for c in ("value", "source", "unit", "range", "meaning"):
        t.add_column(c, overflow="fold")
    for row in parameter_rows(sc):
        t.add_row(*row)
    console.print(t)
    t2 = Table(title="sectors (data/sectors.csv; value [low, high])", title_justify="left")
    t2.add_column("sector")
    t2.add_column("unit")
    for p in SECTOR_PARAMS:
        t2.add_column(p, justify="right")
    table = sector_table()
    units = sector_units()
    for s in sc.sector_ids:
        vals = sc.sectors[s]
        t2.add_row(
            s,
            units.get(s, ""),
            *[
                f"{getattr(vals, p):g} [{table[s][p][1]:g}, {table[s][p][2]:g}]"
                for p in SECTOR_PARAMS
            ],
        )
    console.print(t2)


def parameter_rows(sc: Scenario) -> list[tuple[str, str, str, str, str, str]]:
    """(path, value, source, unit, range, meaning) of every scalar parameter; the source
    is 'calibrated' for values from the scenario's calibrated set, else 'scenario'."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    calibrated = set((sc.calibrated or {}).get("params", {}))

    def add(path: str, value: Any, finfo: Any) -> None:
        lo, hi, unit = field_bounds(finfo)
        rng = f"[{lo}, {hi}]" if lo is not None or hi is not None else ""
        if finfo.annotation is bool:
            rng = "on/off"
        source = "calibrated" if path in calibrated else "scenario"
        rows.append((path, str(value), source, unit, rng, finfo.description or ""))

    def walk(model: Any, obj: Any, prefix: str) -> None:
        for name, finfo in type(obj).model_fields.items():
            value = getattr(obj, name)
            if isinstance(value, BaseModel):
                walk(finfo.annotation, value, f"{prefix}{name}.")
            elif isinstance(value, bool | int | float | str):
                add(f"{prefix}{name}", value, finfo)

    for section in Scenario.model_fields:
        value = getattr(sc, section)
        if isinstance(value, BaseModel):
            walk(type(value), value, f"{section}.")
    return rows


@app.command()
def bench(
    firms: Annotated[int, typer.Option(help="Firms at the start.", min=1)] = 100_000,
    years: Annotated[int, typer.Option(help="Years to simulate.", min=1, max=200)] = 10,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    calibrated: Annotated[
        bool, typer.Option(help="Use the calibrated baseline (default: schema defaults).")
    ] = False,
) -> None:
    """Benchmark the engine: firm-years per second and peak memory (one process, one core)."""
    from overcap.bench import as_dict
    from overcap.bench import bench as run_bench

    with console.status(f"benchmarking {firms:,} firms x {years} years ..."):
        r = run_bench(firms, years, seed, calibrated=calibrated)
    if as_json:
        sys.stdout.write(json.dumps(as_dict(r)) + "\n")
        return
    console.print(
        f"{r.firm_years:,} firm-years in {r.seconds:.2f} s: "
        f"[bold]{r.firm_years_per_second:,.0f} firm-years/s[/]; "
        f"peak memory {r.peak_memory_mb:,.0f} MB (setup {r.setup_seconds:.2f} s; "
        f"numpy {r.numpy}, python {r.python})"
    )


@app.command()
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
        typer.Option(help="Worker processes for the runs (default: up to 2).", min=1, max=64),
    ] = None,
    warm: Annotated[
        bool, typer.Option(help="Start the baseline's runs at once, before the first click.")
    ] = True,
) -> None:
    """The scenario explorer in the browser: pick a scenario, move the levers, run, compare
    with the baseline (zh-TW / English). Serves on http://HOST:PORT/ until Ctrl-C."""
    from overcap.dashboard.app import check_address, create_app, runner_of

    try:
        dash_app = create_app(lang=lang, runs=runs, seed=seed, workers=workers, warm=warm)
        check_address(host, port)
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"overcap dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        dash_app.run(host=host, port=port, debug=False, use_reloader=False)
    finally:
        runner_of(dash_app).shutdown()


def main() -> None:
    try:
        app()
    except ScenarioError as exc:  # a user error that escaped a command
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
