"""JSON for claimflow's values, through one cattrs converter (``pip install 'claimflow[json]'``).

:class:`~claimflow.Decision`, :class:`~claimflow.OrderProduct` and
:class:`~claimflow.HistoryEvent` (and what they hold: claims, reasons, effects) convert to and from
JSON-ready dicts through the *same* converter, cattrs' ``preconf.json`` one, so the CLI, a store
and a web service all write the same shape. The shape is documented in ``docs/cli.md``:

- field names are the attrs field names; enums are their values (``"DELIVERED"``, ``"toss"``);
- ``params`` (a tuple of ``(name, value)`` pairs in Python) is an object ``{name: value}``; a
  value that is an attrs class (x2bee ``new_item``) is an object, a date an ISO string;
- datetimes are ISO 8601 strings with their offset;
- reading is strict: an unknown key, a wrong type or an unknown enum value raises
  :class:`~claimflow.exceptions.InvalidInputError` naming every path that was wrong
  (``$.open_claim.status``).

cattrs is imported on first use, so ``claimflow --version`` and the human CLI output stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._params import ImwebReasonCode
from ._values import Params
from ._vocab import (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    EffectKind,
    FeePayer,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
)
from .exceptions import InvalidInputError, MissingExtraError

if TYPE_CHECKING:
    from cattrs.preconf.json import JsonConverter

__all__ = ["dumps", "from_json", "loads", "make_converter", "params_json", "to_json"]

T = TypeVar("T")

#: Bumped when a field is removed or changes meaning; adding a field does not bump it.
SCHEMA_VERSION = 1


def _plain(value: object) -> object:
    """A parameter value as JSON: enums by value, dates ISO, attrs classes as objects."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}  # type: ignore[arg-type]
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def params_json(params: Params) -> dict[str, object]:
    """Action parameters as a JSON object ``{name: value}`` (the form ``Decision.params`` takes)."""
    return {name: _plain(value) for name, value in params}


def _structure_params(value: object, _: object) -> Params:
    if not isinstance(value, dict):
        msg = f"params: expected an object {{name: value}}, got {value!r}"
        raise InvalidInputError(msg, field="params")
    return tuple((str(k), v) for k, v in value.items())


def _strict(kind: type) -> Any:
    # cattrs would coerce ("1000" -> 1000, "false" -> True, 7 -> "7"): JSON input says what it is
    def structure(value: object, _: object) -> object:
        if type(value) is not kind:
            msg = f"expected a JSON {kind.__name__}, got {value!r}"
            raise TypeError(msg)
        return value

    return structure


def _enum_value(value: object, enum: type[Enum]) -> Enum:
    if not isinstance(value, str):
        msg = f"expected a JSON string, got {value!r}"
        raise TypeError(msg)
    return enum(value)  # ValueError for an unknown value: reported with the valid ones


_ENUMS: tuple[type[Enum], ...] = (
    Action,
    Actor,
    ClaimStatus,
    ClaimType,
    EffectKind,
    FeePayer,
    ImwebReasonCode,
    Marketplace,
    PaymentChannel,
    Status,
    Tag,
)


@cache
def make_converter() -> JsonConverter:
    """The one converter (cached): strict, with claimflow's hooks registered."""
    try:
        from cattrs.preconf.json import make_converter as make  # noqa: PLC0415 - lazy: start-up
    except ImportError:
        msg = "JSON needs the 'json' extra (cattrs): pip install 'claimflow[json]'"
        raise MissingExtraError(msg, extra="json") from None

    conv = make(forbid_extra_keys=True)
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook(bool, _strict(bool))
    conv.register_structure_hook(str, _strict(str))
    # the vocabulary is StrEnums: give each its own hook, or the strict str one would catch them
    for enum in _ENUMS:
        conv.register_structure_hook(enum, _enum_value)
    # Params is a tuple alias, not a class: match it by equality
    conv.register_unstructure_hook_func(lambda t: t == Params, params_json)
    conv.register_structure_hook_func(lambda t: t == Params, _structure_params)
    return conv


def to_json(value: object) -> Any:
    """*value* (a claimflow value, or a tuple of them) as JSON-ready data."""
    with _declared_annotations():
        return make_converter().unstructure(value)


@contextlib.contextmanager
def _declared_annotations() -> Iterator[None]:
    """Give the values' attrs fields back the annotations they were declared with afterwards.

    cattrs resolves string annotations with ``attrs.resolve_types`` when it builds a hook, which
    rewrites ``attrs.fields(cls)[i].type`` for the whole process; the API reference generator
    reads them, and must not see other text because a JSON conversion ran first (the store's
    codec does the same, ``claimflow.store._codec``). Built hooks keep the types they resolved.
    """
    from . import _money, _time, _values  # noqa: PLC0415

    classes = [
        c
        for m in (_values, _money, _time)
        for c in vars(m).values()
        if isinstance(c, type) and attrs.has(c) and c.__module__ == m.__name__
    ]
    declared = [(f, f.type) for c in classes for f in attrs.fields(c)]
    flags = {c: c.__dict__.get("__attrs_types_resolved__") for c in classes}
    try:
        yield
    finally:
        for f, typ in declared:
            object.__setattr__(f, "type", typ)  # attrs' own way to set it (resolve_types)
        for c, flag in flags.items():
            if flag is None and "__attrs_types_resolved__" in c.__dict__:
                delattr(c, "__attrs_types_resolved__")


def from_json(data: object, cls: type[T]) -> T:
    """A *cls* read from JSON-ready *data*; :class:`InvalidInputError` naming what was wrong."""
    from cattrs import transform_error  # noqa: PLC0415 - lazy: start-up
    from cattrs.errors import BaseValidationError  # noqa: PLC0415

    if attrs.has(cls) and not isinstance(data, dict):
        msg = f"{cls.__name__}: expected a JSON object, got {type(data).__name__} @ $"
        raise InvalidInputError(msg, field="$")
    try:
        with _declared_annotations():
            return make_converter().structure(data, cls)
    except BaseValidationError as e:
        problems = transform_error(e, path="$", format_exception=_describe)
        msg = f"{cls.__name__}: " + "; ".join(problems)
        field = problems[0].rpartition(" @ ")[2] if problems else "$"
        raise InvalidInputError(msg, field=field) from None
    except InvalidInputError:
        raise
    except (TypeError, ValueError, AttributeError) as e:
        msg = f"{cls.__name__}: {e}"
        raise InvalidInputError(msg, field="$") from None


def _describe(exc: BaseException, type_: type | None) -> str:
    # our own validators and converters already say what was wrong, in the caller's terms
    if isinstance(exc, InvalidInputError):
        return str(exc)
    if isinstance(type_, type) and issubclass(type_, Enum) and isinstance(exc, ValueError):
        known = ", ".join(str(m.value) for m in type_)
        return f"{exc}; expected one of {known}"
    from cattrs.v import format_exception  # noqa: PLC0415

    return format_exception(exc, type_)


def dumps(value: object, *, indent: int | None = 2) -> str:
    """*value* as JSON text (UTF-8 Korean kept as is)."""
    return json.dumps(to_json(value), ensure_ascii=False, indent=indent)


def loads(text: str | bytes, cls: type[T]) -> T:
    """A *cls* read from JSON text; bad JSON is an :class:`InvalidInputError` too."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        msg = f"not JSON: {e}"
        raise InvalidInputError(msg, field="$") from None
    return from_json(data, cls)
