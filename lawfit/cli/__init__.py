"""The ``lawfit`` command line (typer).

Every sub-command lives in its own module ``lawfit/cli/cmd_<name>.py`` that defines
``register(app: typer.Typer) -> None``; modules are discovered automatically, so adding a command
never touches this file. Command modules must import JAX (and the rest of lawfit's numerics)
inside the command functions only, so ``lawfit --help`` and ``lawfit --version`` stay instant.

Conventions for every command: JSON on stdout by default (``--format table`` for people), errors
on stderr as one line plus a hint, exit codes 0 ok, 1 fit did not converge, 2 bad input.
"""

import importlib
import pkgutil

import typer

from lawfit import __version__

app = typer.Typer(
    name="lawfit",
    help="Fit, predict and optimize language-model loss curves.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lawfit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """lawfit: schedule-aware loss laws for language-model training."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()
