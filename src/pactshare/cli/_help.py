"""How help names the values a command takes: in capitals, the way people write them.

Typer (0.29) shows each parameter's Python type (``<str>``, ``<list[Path]>``, and ``<bool>``
even beside a flag, which takes no value) and wraps a required argument in braces in the
usage line (``{file}``). Typer builds its parameter objects itself and offers no hook for
either, so :func:`plain_placeholders` replaces the two display methods once, for this process,
before any help is shown: an option shows its metavar (``INSTANT``, ``DIR``) or its value's
kind (``TEXT``, ``PATH``, ``INTEGER``, ``NUMBER``), a flag shows nothing, and an argument
shows its name in capitals (``[NAME]`` when optional, ``NAME...`` when repeatable).
"""

from __future__ import annotations

from typer.core import TyperArgument, TyperOption

__all__ = ["plain_placeholders"]

_KINDS = {"str": "TEXT", "Path": "PATH", "int": "INTEGER", "float": "NUMBER"}


def _option_value(option: TyperOption, ctx: object) -> str | None:
    del ctx  # the same in every context
    if option.is_flag or option.count:
        return None
    if option.metavar is not None:
        return option.metavar
    kind = option.bare_type().removeprefix("list[").removesuffix("]")  # repeated: the same kind
    return _KINDS.get(kind, kind.upper())


def _argument_value(argument: TyperArgument, ctx: object) -> str | None:
    del argument, ctx  # the argument's own name, in its column, says what it is
    return None


def _argument_usage(argument: TyperArgument) -> str:
    name = (argument.metavar or argument.name or "value").upper()
    if not argument.required:
        name = f"[{name}]"
    return f"{name}..." if argument.nargs != 1 else name


def plain_placeholders() -> None:
    """Show values as ``TEXT``/``FILE``, never ``<str>``, ``<bool>`` or ``{file}``."""
    TyperOption.display_type_rich = _option_value  # type: ignore[method-assign, assignment]
    TyperArgument.display_type_rich = _argument_value  # type: ignore[method-assign, assignment]
    TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign, assignment]
