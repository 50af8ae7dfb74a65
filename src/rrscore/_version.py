"""The package version (one place: read by hatch for the wheel and by records)."""

__version__ = "0.1.0.dev0"
