"""Output helpers of the command line: the console's width, help texts as paragraphs,
tables that fall back to one block per record when they would not fit, and numbers.

Laid out for an 80-column terminal: a table whose columns cannot all get their full
width is printed as one block per record (column name, value) rather than squeezed
into columns too narrow to read; names are never cut.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

PIPED_WIDTH = 120  # a pipe or a file without COLUMNS (CI logs): wide tables


def width_of_stdout() -> int | None:
    """The width to lay out for: the terminal's (None: rich asks it) when stdout is one;
    else COLUMNS when set, else :data:`PIPED_WIDTH`."""
    if sys.stdout.isatty():
        return None
    cols = os.environ.get("COLUMNS", "").strip()
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    return PIPED_WIDTH


def stdout_console() -> Console:
    """A console on stdout with :func:`width_of_stdout` (read now, not at import, so
    COLUMNS set after the import counts)."""
    return Console(width=width_of_stdout())


# ---------------------------------------------------------------- help texts


def paragraphs(doc: str | None) -> str:
    """A docstring as help text: paragraphs (separated by a blank line) each on one line,
    so that the help is wrapped to the terminal, not where the source was wrapped."""
    text = inspect.cleandoc(doc or "")
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


_METAVARS = {"int": "N", "float": "X", "str": "TEXT", "path": "PATH"}


def _short_type(param: TyperOption | TyperArgument) -> str | None:
    """The type column of an option's help: a short metavar (N, X, TEXT, PATH), none for
    a flag."""
    if isinstance(param, TyperOption) and param.is_flag:
        return None
    if param.metavar is not None:
        return param.metavar
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(c) for c in desc.choices or ())
    if desc.is_path:
        return "PATH"
    bare = param._bare_type(desc.annotation if not desc.is_list else _inner(desc.annotation))
    return _METAVARS.get(bare, bare.upper())


def _inner(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    return args[0] if args else annotation


def _range_text(lo: Any, hi: Any) -> str:
    """A range in words for the help text ('' for the obvious lower bounds 0 and 1)."""
    if lo is not None and hi is not None:
        return f"{lo} to {hi:,}" if isinstance(hi, int) else f"{lo} to {hi}"
    if lo is not None and lo not in (0, 1):
        return f"at least {lo}"
    if hi is not None:
        return f"at most {hi}"
    return ""


class _CompactOption(TyperOption):
    """An option whose type column is a short metavar; its range goes into the help."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return _short_type(self)

    def _get_number_range_help_str(self) -> str | None:
        return None


class _CompactArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _get_number_range_help_str(self) -> str | None:
        return None


def _compact(params: Sequence[Any]) -> None:
    for p in params:
        if type(p) is TyperOption:
            rng = _range_text(p.min, p.max)
            if rng and p.help and rng not in p.help:
                p.help = f"{p.help} Allowed: {rng}."
            p.__class__ = _CompactOption
        elif type(p) is TyperArgument:
            p.__class__ = _CompactArgument


class Command(TyperCommand):
    """A command whose help reads well at 80 columns: short metavars, ranges in words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _compact(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        opt = super().get_help_option(ctx)
        _compact([opt])
        return opt


class CommandGroup(TyperGroup):
    """The command group, with the same help layout as :class:`Command`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _compact(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        opt = super().get_help_option(ctx)
        _compact([opt])
        return opt


# ---------------------------------------------------------------- tables


def natural_width(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The width a rich table with the default box needs to show every cell unwrapped."""
    widths = [len(h) for h in headers]
    for row in rows:
        for j, cell in enumerate(row):
            widths[j] = max(widths[j], *(Text.from_markup(ln).cell_len for ln in cell.split("\n")))
    return sum(widths) + 3 * len(widths) + 1


def fits(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> bool:
    """Whether the table fits ``width`` with no cell wrapped or cut."""
    return natural_width(headers, rows) <= width


def records(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str = "",
    label: str = "record",
) -> RenderableType:
    """One block per record: a rule line naming it, then 'column  value' lines, the
    values folded (never cut) to the width."""
    parts: list[RenderableType] = []
    if title:
        parts.append(Text.from_markup(title))
    keyw = max((len(h) for h in headers), default=0)
    for i, row in enumerate(rows, 1):
        t = Table.grid(padding=(0, 2))
        t.add_column(no_wrap=True, style="bold", min_width=min(keyw, 30))
        t.add_column(overflow="fold")
        for h, cell in zip(headers, row, strict=True):
            t.add_row(escape(h), cell)
        parts.append(Text(f"-- {label} {i} of {len(rows)} --", style="dim"))
        parts.append(t)
    return Group(*parts)


def table_or_records(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    title: str = "",
    right: Sequence[bool] | None = None,
    label: str = "record",
    note: str = "",
) -> RenderableType:
    """A table when it fits ``width`` unwrapped, else :func:`records` (``note`` added to
    the title then). Cells are rich markup (escape plain text)."""
    if not fits(headers, rows, width):
        return records(headers, rows, title + note, label)
    t = Table(title=title or None, title_justify="left")
    for j, h in enumerate(headers):
        t.add_column(escape(h), justify="right" if right and right[j] else "left", no_wrap=True)
    for row in rows:
        t.add_row(*row)
    return t
