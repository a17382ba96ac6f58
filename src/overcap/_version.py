"""The package's version: one home, read by pyproject.toml (``[tool.setuptools.dynamic]``)
and imported by every module that records it, so none imports the package root."""

__version__ = "0.1.0"
