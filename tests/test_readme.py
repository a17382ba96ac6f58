"""README's Python block, pasted into a script as it stands, runs (issue 17: it died
without the ``if __name__ == "__main__":`` guard, Dask's spawned workers re-running it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)
    block = next(b for b in blocks if "import overcap" in b)
    return str(block)


def test_the_block_has_the_guard() -> None:
    assert 'if __name__ == "__main__":' in python_block()


def test_the_readme_block_runs_as_a_script(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(python_block(), "utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "my-run").is_dir()
    assert (tmp_path / "my-report").is_dir()
