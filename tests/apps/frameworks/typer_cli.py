"""A Typer app with two commands."""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command()
def hello(name: str) -> None:
    typer.echo(f"hello {name}")


@app.command()
def goodbye() -> None:
    raise typer.Exit(code=3)
