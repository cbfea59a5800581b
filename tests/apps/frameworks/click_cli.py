"""A click group with two commands."""

from __future__ import annotations

import click


@click.group()
def cli() -> None:
    """The shop's command line."""


@cli.command()
@click.option("--count", default=1)
def greet(count: int) -> None:
    click.echo("hi " * count)


@cli.command()
def fail() -> None:
    raise click.ClickException("nope")
