"""The command line at 80 columns (issue 17): query, show, runs, compare and every
--help, with COLUMNS=80 and the output piped (as CliRunner does). Nothing is cut or
left out, no line is wider than the terminal, no table column is squeezed, and no help
sentence is broken where the source had a line break."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import overcap
from overcap.cli import app, parameter_rows
from overcap.cli_format import paragraphs
from overcap.compare import default_years, format_band
from overcap.experiments import open_experiment

WIDTH = 80
MIN_COLUMN = 12  # a table column narrower than this (inside its borders) is squeezed
LONG_NAME = "a-rather-long-experiment-name-that-must-be-copied-whole-2026"
TINY = ["--set", "time.start_year=2017", "--set", "time.end_year=2022"]
TINY += ["--set", "population.firms_start=2000"]


@pytest.fixture(autouse=True)
def columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def invoke(*args: str) -> Result:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def check_lines(text: str, width: int = WIDTH) -> None:
    """No line wider than the terminal, nothing cut with an ellipsis, no squeezed table
    column (measured on the tables' top borders)."""
    for line in text.splitlines():
        assert len(line) <= width, f"wider than {width}: {line!r}"
        assert "…" not in line, f"cut: {line!r}"
        if line.startswith(("┏", "┌")):
            cols = re.split("[┳┬]", line.strip("┏┓┌┐"))
            narrow = [c for c in cols if len(c) - 2 < MIN_COLUMN]
            # a column may be narrow only if it is as wide as it needs (no wrapped cell)
            assert not narrow or _no_wrapped_rows(text, line), f"squeezed: {line}"


def _no_wrapped_rows(text: str, top: str) -> bool:
    """Whether the table starting at ``top`` has one line per row (nothing wrapped)."""
    lines = text.splitlines()
    k = lines.index(top) + 3  # the header, its rule, then the first row
    body: list[str] = []
    while k < len(lines) and lines[k].startswith("│"):
        body.append(lines[k])
        k += 1
    # a wrapped row has a continuation line whose first cell is empty
    return all(not ln.split("│")[1].strip() == "" for ln in body)


def joined(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- a store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A results root with one small comparison under a long name (market-reform's
    reform starts in 2020, inside the years)."""
    root = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("COLUMNS", str(WIDTH))
        res = CliRunner().invoke(
            app,
            ["compare", "baseline", "market-reform", "--runs", "2", "--workers", "0"]
            + TINY
            + ["--set", "market-reform:investment.visibility=0.3"]
            + ["--results", str(root), "--name", LONG_NAME],
        )
    assert res.exit_code == 0, res.output
    yield root


def test_compare_at_80_columns(store: Path) -> None:
    out = CliRunner().invoke(
        app,
        ["compare", "baseline", "market-reform", "--runs", "2", "--workers", "0"]
        + TINY
        + ["--set", "market-reform:investment.visibility=0.3"]
        + ["--results", str(store), "--name", LONG_NAME, "--resume"],
    )
    assert out.exit_code == 0, out.output
    text = out.stdout
    check_lines(text)
    # the default years start with market-reform's first event, and the title says so
    assert "over 2020-2022" in joined(text) and "market-reform's event reform" in joined(text)
    # money in US$ bn or tn, no exponent; shares in %, differences in pp
    assert "US$" in text and not re.search(r"\de[+-]\d", text)
    assert re.search(r"\d%", text) and " pp " in text
    assert not re.search(r"(^|\s)[+-]0(\s|$)", text)  # an exact 0 is 0, not +0
    for label in ("zombie share of firms", "new bad loans (total)", "GDP growth, % a year"):
        assert label in text


def test_compare_set_applies_to_all_or_to_one(store: Path) -> None:
    spec = open_experiment(LONG_NAME, store).spec
    assert spec["base"]["population.firms_start"] == 2000  # --set path=value: every one
    assert [s["parameters"] for s in spec["samples"]] == [
        {},
        {"investment.visibility": 0.3},  # --set SCENARIO:path=value: that one only
    ]
    exp = open_experiment(LONG_NAME, store)
    assert exp.scenario(1).investment.visibility == 0.3
    assert exp.scenario(0).investment.visibility != 0.3


def test_compare_set_names_an_unknown_scenario() -> None:
    res = CliRunner().invoke(
        app, ["compare", "baseline", "market-reform", "--set", "nope:investment.visibility=0.3"]
    )
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert err.startswith("error:") and "\n" not in err
    assert "'nope'" in err and "baseline, market-reform" in err


def test_compare_a_scenario_with_itself_by_place(tmp_path: Path) -> None:
    """The dashboard's baseline with levers against the baseline: --set 2:path=value."""
    args = ["compare", "baseline", "baseline", "--runs", "1", "--workers", "0", *TINY]
    twice = CliRunner().invoke(app, [*args, "--set", "baseline:investment.visibility=0.3"])
    assert twice.exit_code == 2 and "compared twice" in twice.stderr
    assert "--set 2:investment.visibility=0.3" in twice.stderr
    res = invoke(*args, "--set", "2:investment.visibility=0.3", "--results", str(tmp_path))
    check_lines(res.stdout)
    assert "baseline vs baseline#2" in res.stdout and "  baseline#2 " in res.stdout
    assert "over 2017-2022 (all the years the scenarios share" in joined(res.stdout)


def test_default_years() -> None:
    base, reform = overcap.load_scenario("baseline"), overcap.load_scenario("market-reform")
    assert default_years([base, reform]) == (
        (2020, 2030),
        "from 2020, the first year of market-reform's event reform",
    )
    # no event of its own (or one outside the years): all the years
    assert default_years([base, base])[0] == (1995, 2030)
    short = overcap.load_scenario("market-reform", {"time.end_year": 2010})
    assert default_years([base, short])[0] == (1995, 2010)


def test_format_band() -> None:
    assert format_band("profit", 14_930.0, 14_400.0, 15_200.0) == "US$ 14.93 tn [14.40, 15.20]"
    assert format_band("bad_loans", 352.0, -102.0, 1_520.0, diff=True).startswith("US$ +0.35 tn")
    assert format_band("profit", 352.4, 101.0, 520.0) == "US$ 352 bn [101, 520]"
    assert format_band("trade_measures", 0.0, -0.273, 0.414, diff=True) == "0 [-0.27, +0.41]"
    assert format_band("zombie_share", 0.5071, 0.487, 0.527) == "50.7% [48.7, 52.7]"
    assert format_band("zombie_share", -0.5, -0.52, -0.48, diff=True) == "-50.0 pp [-52.0, -48.0]"
    assert format_band("gdp_growth", 9.87, 9.5, 10.2) == "9.87% [9.50, 10.20]"
    assert format_band("gdp_growth", 0.001, 0.0, 0.002, diff=True) == "+0.001 pp [0, +0.002]"


# --------------------------------------------------------------------------- query, runs


def test_query_wide_result_shows_every_row_and_value(store: Path) -> None:
    res = invoke(
        "query", "SELECT * FROM economy ORDER BY run, year LIMIT 3", "--results", str(store)
    )
    check_lines(res.stdout)
    csv = invoke(
        "query",
        "SELECT * FROM economy ORDER BY run, year LIMIT 3",
        "--results",
        str(store),
        "--csv",
    )
    frame = pd.read_csv(pd.io.common.StringIO(csv.stdout))
    assert len(frame.columns) > 20 and len(frame) == 3
    assert "row 3 of 3" in res.stdout
    lines = res.stdout.splitlines()
    for col in frame.columns:  # every column of every row, with its value
        got = [ln.split()[1] for ln in lines if ln.split()[:1] == [col]]
        assert len(got) == 3, (col, got)
    assert [int(x) for x in (ln.split()[1] for ln in lines if ln.startswith("year "))] == list(
        frame["year"]
    )


def test_query_narrow_result_stays_a_table(store: Path) -> None:
    res = invoke("query", "SELECT year, gdp_growth FROM economy LIMIT 2", "--results", str(store))
    check_lines(res.stdout)
    assert "┃ year ┃ gdp_growth ┃" in res.stdout


def test_runs_names_whole(store: Path) -> None:
    res = invoke("runs", "--results", str(store))
    check_lines(res.stdout)
    assert LONG_NAME in res.stdout  # on one line, to copy
    one = invoke("runs", LONG_NAME, "--results", str(store))
    check_lines(one.stdout)
    assert "completed" in one.stdout and "in-process" in one.stdout


# --------------------------------------------------------------------------- show


def test_show_at_80_columns_every_parameter_and_meaning_whole() -> None:
    res = invoke("show", "baseline")
    check_lines(res.stdout)
    rows = parameter_rows(overcap.load_scenario("baseline"))
    text = joined(res.stdout)
    for path, value, _, _, _, meaning in rows:
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith(path + " = "))
        if ", " in value:  # a list of sectors may wrap, but whole and in order
            assert joined(f"{path} = {value}") in text, path
        else:
            assert value in line
        assert joined(meaning) in text, path  # the meaning in one piece, not in a column
    assert "steel (Mt" in res.stdout and "learning_rate" in res.stdout


def test_show_group_and_search() -> None:
    res = invoke("show", "baseline", "--group", "investment")
    paths = [
        ln.split(" = ")[0] for ln in res.stdout.splitlines() if ln[:1].isalpha() and " = " in ln
    ]
    assert paths and all(p.startswith("investment.") for p in paths)
    assert "steel (Mt" not in res.stdout
    res = invoke("show", "baseline", "--search", "visibility")
    assert "investment.visibility = " in res.stdout and "time.start_year" not in res.stdout
    bad = CliRunner().invoke(app, ["show", "--group", "nope"])
    assert bad.exit_code == 2 and "allowed: time, switches" in bad.stderr


def test_show_honours_wide_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    res = invoke("show", "baseline", "--group", "time")
    assert "┃ parameter" in res.stdout  # wide enough for the table
    assert max(len(ln) for ln in res.stdout.splitlines()) <= 200


# --------------------------------------------------------------------------- help

COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]


def hard_breaks(text: str, width: int = WIDTH) -> list[str]:
    """Lines of a help screen that end before the next word would have to wrap: a line
    break from the source, not from the terminal. Looks at the description (above the
    panels) and at each cell of the panels' last column."""
    bad: list[str] = []
    lines = text.splitlines()
    for a, b in zip(lines, lines[1:], strict=False):
        if not a.strip() or not b.strip():
            continue
        if a.startswith("│") and b.startswith("│"):
            inner_a, inner_b = a[1:-1], b[1:-1]
            start = len(inner_b) - len(inner_b.lstrip())
            if start <= 2 or inner_a[start - 1] != " " or inner_a[start] == " ":
                continue  # not a continuation of a cell that starts in the same column
            word = inner_b.split()[0]
            if word.startswith("["):  # the default or [required] on a line of its own
                continue
            avail = len(inner_a) - 1
        elif a.startswith(" ") and b.startswith(" ") and not b.lstrip().startswith("Usage"):
            word, avail = b.split()[0], width - 1
            inner_a = a
        else:
            continue
        if len(inner_a.rstrip()) + 1 + len(word) <= avail:
            bad.append(a.rstrip())
    return bad


@pytest.mark.parametrize("cmd", [None, *COMMANDS])
def test_help_at_80_columns(cmd: str | None) -> None:
    res = invoke(*([cmd] if cmd else []), "--help")
    check_lines(res.stdout)
    assert hard_breaks(res.stdout) == []
    assert "<bool>" not in res.stdout and "range>" not in res.stdout  # short metavars
    if cmd is not None:  # the docstring, rewrapped, whole
        fn = next(
            c.callback
            for c in app.registered_commands
            if (c.name or "") == cmd or (c.callback is not None and c.callback.__name__ == cmd)
        )
        text = joined(" ".join(ln.strip("│ ") for ln in res.stdout.splitlines()))
        for para in paragraphs(fn.__doc__).split("\n\n"):
            assert para in text, para


def test_hard_breaks_finds_a_source_line_break() -> None:
    """The detector itself: a help text with a line break from the source is caught."""
    broken = (
        " Run one scenario, print a summary and write the results (Parquet + run.json); with\n"
        " --runs N, an ensemble into the results store.\n"
    )
    assert hard_breaks(broken, width=90) == []  # 90 wide: the break is where it wraps
    assert hard_breaks(broken.replace("; with\n --runs", ";\n with --runs"), width=90)


def test_paragraphs_rewrap_docstrings() -> None:
    doc = """First line
    goes on.

    Second paragraph
    also."""
    assert paragraphs(doc) == "First line goes on.\n\nSecond paragraph also."


def test_check_shows_the_fact_in_words_with_unit_source_and_note() -> None:
    from overcap.evidence import load_facts

    facts, _ = load_facts()
    by_id = {f.id: f for f in facts}
    assert by_id["F05"].label() == "capacity utilisation, steel, mean 2001-2007"
    assert by_id["F23"].label() == "profit, steel, 2015: negative"
    assert "below 0.6" in by_id["F01"].label()
    args = ["check", "--runs", "1", "--workers", "0", *TINY]
    res = invoke(*args)
    check_lines(res.stdout)
    cells = joined(" ".join(c for ln in res.stdout.splitlines() for c in ln.split("│")[1:2]))
    f26 = by_id["F26"]
    assert f"F26 {f26.label()}" in cells and f"{f26.unit}; {joined(f26.source)}" in cells
    assert "F26 output steel 2015 value" not in cells  # not the machine form
    # a fact's note (its definition, scope or caveat) under its source; none where empty
    f65 = by_id["F65"]
    assert f65.note.startswith("all industry") and not f26.note
    assert f"note: {joined(f65.note)}" in cells
    assert cells.count("note: ") == sum(1 for f in facts if f.note)
    out = json.loads(invoke(*args, "--json").stdout)
    row = next(f for f in out["facts"] if f["id"] == "F26")
    assert (row["label"], row["unit"], row["source"]) == (f26.label(), f26.unit, f26.source)
    notes = {f["id"]: f["note"] for f in out["facts"]}
    assert notes["F26"] == "" and notes["F65"] == f65.note
