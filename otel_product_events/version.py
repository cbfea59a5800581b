"""The package version, in one place (read by pyproject.toml and sent as the scope version)."""

__version__ = "0.1.0"
