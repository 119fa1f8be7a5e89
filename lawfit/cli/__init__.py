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
from typer.core import TyperGroup

from lawfit import __version__


class _Group(TyperGroup):
    """The root command group: an exception a command did not turn into a message becomes one
    ``error:`` line and an exit code (``_report_error``), never a traceback without --debug."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201
        try:
            return super().invoke(ctx)
        except Exception as e:
            if type(e).__module__.startswith(("click", "typer")):  # Exit, Abort, usage errors
                raise
            raise typer.Exit(_report_error(e)) from None


app = typer.Typer(
    cls=_Group,
    name="lawfit",
    help="Fit, predict and optimize language-model loss curves.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2
DEBUG_ENV = "LAWFIT_DEBUG"  # "1": tracebacks of unexpected errors (same as --debug)
_debug = {"on": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lawfit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the Python traceback of an error."),
) -> None:
    """lawfit: schedule-aware loss laws for language-model training.

    Output is JSON on stdout (--format table for people); RUNS may be '-' (stdin). Exit codes:
    0 ok, 1 a fit did not converge (or a proxy run diverged), 2 bad input (one error line on
    stderr plus a hint). Progress is drawn on stderr only on a terminal (LAWFIT_PROGRESS=always
    or never overrides). --debug (or LAWFIT_DEBUG=1) shows the traceback of an error.
    Compiled JAX programs are cached in $XDG_CACHE_HOME/lawfit/jax
    (~/.cache/lawfit/jax); LAWFIT_COMPILATION_CACHE=0 turns that off, =DIR moves it.
    """
    from lawfit._compile_cache import enable_default_compilation_cache

    enable_default_compilation_cache()
    _debug["on"] = debug


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(app)


_register_commands()


def _click_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(UsageError classes, ClickException classes) of the click typer runs on (typer >= 0.2x
    vendors its own copy as ``typer._click``; older releases use ``click``)."""
    usage, other = [], []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        usage += [mod.UsageError] if hasattr(mod, "UsageError") else []
        other += [mod.ClickException] if hasattr(mod, "ClickException") else []
    return tuple(usage), tuple(other)


def main() -> None:
    """Console-script entry point. Usage errors (unknown or missing options) are reported like
    every other lawfit error: one ``error:`` line plus a ``hint:`` line on stderr, exit code 2."""
    import sys

    usage_errors, click_errors = _click_errors()
    try:
        code = app(standalone_mode=False)
    except usage_errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # a bare group: print its help
            e.show()
            sys.exit(0)
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "lawfit"
        typer.echo(f"error: {e.format_message()}", err=True)
        typer.echo(f"hint: see '{where} --help'", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click_errors as e:  # e.g. a file option that cannot be opened
        typer.echo(f"error: {e.format_message()}", err=True)
        sys.exit(getattr(e, "exit_code", EXIT_BAD_INPUT))
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _report_error(e: Exception) -> int:
    """One ``error:`` line for an exception no command turned into a message; the exit code
    (1 for a fit that failed, 2 otherwise). ``--debug`` / ``LAWFIT_DEBUG=1`` re-raise it."""
    import os

    if _debug["on"] or os.environ.get(DEBUG_ENV, "").strip() in ("1", "true", "yes"):
        raise e
    from lawfit.fitting import FitError

    first = (str(e).strip().splitlines() or [""])[0].strip("'\"")
    if isinstance(e, FitError):
        typer.echo(f"error: {first}", err=True)
        return EXIT_NOT_CONVERGED
    if isinstance(e, (ValueError, TypeError, KeyError, IndexError, OSError)):
        typer.echo(f"error: {first or type(e).__name__}", err=True)
        typer.echo("hint: check the arguments (see --help); rerun with --debug for the traceback", err=True)
    else:
        typer.echo(f"error: internal error ({type(e).__name__}: {first})", err=True)
        typer.echo("hint: rerun with --debug and report the traceback", err=True)
    return EXIT_BAD_INPUT
