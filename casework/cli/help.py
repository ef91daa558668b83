"""Plain `--help`: every value shown by its real type (TEXT, INTEGER, PATH, YYYY-MM-DD, or its
choices), never Typer's Python-flavoured placeholders (`<str>`, `<int>`, `<list[str]>`).

`PlainTyper` is `typer.Typer` whose groups and commands format their options this way; every
`pathway` command is registered on one. A parameter given its own `metavar` (UPN, EMAIL, KIND)
keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

# Python types -> what help shows (anything else: its name, upper-cased).
_TYPE_NAMES: dict[type, str] = {str: "TEXT", int: "INTEGER", float: "NUMBER", bool: "BOOLEAN"}
_PATH_NAMES = {"dir": "DIRECTORY", "file": "FILE"}
_ISO_DATE = "%Y-%m-%d"


def _named(annotation: Any) -> str:
    if isinstance(annotation, type):
        return _TYPE_NAMES.get(annotation, annotation.__name__.upper())
    return "TEXT"


def type_name(param: Any) -> str:
    """What help shows for a parameter's value: its choices, or its type's plain name."""
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    if desc.is_datetime:
        formats = desc.parameter_info.formats
        return "YYYY-MM-DD" if formats in (None, [_ISO_DATE], (_ISO_DATE,)) else "DATETIME"
    if desc.is_path:
        return _PATH_NAMES.get(desc.path_type, "PATH")
    if desc.is_file:
        return "FILE"
    if desc.is_list:
        (element,) = get_args(desc.annotation)
        return _named(element)
    return _named(desc.annotation)


def _name_values(params: Any) -> None:
    """Give each option with a value its type's plain name, and each argument its NAME, where
    the command gave them none (so the usage line and errors say KIND, not kind)."""
    for param in params:
        if param.metavar is not None:
            continue
        if param.param_type_name == "argument":
            param.metavar = param.name.upper()
        elif param.param_type_name == "option" and not (param.is_flag or param.count):
            param.metavar = type_name(param)


def _format_options(command: Any, ctx: Any, formatter: Any) -> None:
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            # Typer shows an argument's type as `<int>` whatever its metavar: name it plainly.
            arguments.append((f"{param.metavar} {type_name(param)}", record[1]))
        elif param.param_type_name == "option":
            options.append(record)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    if options:
        with formatter.section("Options"):
            formatter.write_dl(options)


class PlainCommand(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_values(self.params)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_options(self, ctx, formatter)


class PlainGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_values(self.params)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)


class PlainTyper(typer.Typer):
    """A Typer app whose help shows plain types (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", PlainGroup)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", PlainCommand)
        return super().command(name, **kwargs)

    def callback(self, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", PlainGroup)
        return super().callback(**kwargs)
