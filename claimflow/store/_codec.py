"""Stored values as JSON, by cattrs: order products, history events, effects, action parameters.

One ``cattrs.Converter`` with these hooks: timestamps and dates as ISO 8601 text, and action
parameters (``Params``: pairs of name and value) whose values keep their type through a tag for
the types JSON has no word for (``date``, ``datetime``, :class:`~claimflow.CandidateItem`). Enum
members are stored by value; the engine parses them back.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, TypeVar

import attrs
import cattrs

from .._money import ClaimDelivery, LineMoney, MoneyRule, Quote, Restore
from .._values import CandidateItem, Claim, Effect, HistoryEvent, OrderProduct, Params
from .._vocab import Action, Actor, ClaimStatus, ClaimType, EffectKind, Marketplace, Status
from ..exceptions import CorruptRowError

__all__ = [
    "converter",
    "dump_event",
    "dump_order_product",
    "dump_params",
    "load",
    "load_params",
]

T = TypeVar("T")

converter = cattrs.Converter()
converter.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
converter.register_structure_hook(dt.datetime, lambda v, _t: dt.datetime.fromisoformat(v))
# dates (OrderProduct.shipping_deadline, rules.md D1): ISO 8601 text too
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
converter.register_structure_hook(dt.date, lambda v, _t: dt.date.fromisoformat(v))


def _dump_value(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return {"$type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$type": "date", "value": value.isoformat()}
    if isinstance(value, CandidateItem):
        return {"$type": "CandidateItem", "value": converter.unstructure(value)}
    msg = f"cannot store a parameter value of type {type(value).__name__}"
    raise TypeError(msg)


def _load_value(value: object) -> object:
    if isinstance(value, dict) and "$type" in value:
        kind, raw = value["$type"], value["value"]
        if kind == "datetime":
            return dt.datetime.fromisoformat(raw)
        if kind == "date":
            return dt.date.fromisoformat(raw)
        if kind == "CandidateItem":
            return converter.structure(raw, CandidateItem)
        msg = f"unknown parameter type tag {kind!r}"
        raise ValueError(msg)
    return value


def dump_params(params: Params) -> list[list[object]]:
    """``Params`` as JSON: a list of ``[name, value]`` pairs."""
    return [[name, _dump_value(v)] for name, v in params]


def load_params(raw: object) -> Params:
    """``Params`` from :func:`dump_params`'s JSON."""
    if not isinstance(raw, list):
        msg = f"parameters must be a JSON list, got {type(raw).__name__}"
        raise TypeError(msg)
    return tuple((str(name), _load_value(v)) for name, v in raw)


_PARAMS = tuple[tuple[str, object], ...]
converter.register_unstructure_hook_func(lambda t: t == _PARAMS, dump_params)
converter.register_structure_hook_func(lambda t: t == _PARAMS, lambda v, _t: load_params(v))


def _prepare_hooks() -> None:
    """Build the converter's hooks for the stored classes now, then give their attrs fields back
    the annotations they were declared with.

    cattrs resolves string annotations with ``attrs.resolve_types``, which rewrites
    ``attrs.fields(cls)[i].type`` in place for the whole process; code that reads those
    annotations (the API reference generator, ``claimflow docs``) must not see a different value
    depending on whether the store was used first. The hooks, once built, keep the resolved
    types they need."""
    classes = (
        OrderProduct, Claim, HistoryEvent, Effect, CandidateItem, LineMoney, ClaimDelivery, Quote,
        Restore,
    )  # fmt: skip
    declared = {cls: [(f, f.type) for f in attrs.fields(cls)] for cls in classes}
    flags = {cls: cls.__dict__.get("__attrs_types_resolved__") for cls in classes}
    built = [
        (cls, converter.get_unstructure_hook(cls), converter.get_structure_hook(cls))
        for cls in classes
    ]
    for cls, unstructure, structure in built:  # registered: no cache clear can rebuild them
        converter.register_unstructure_hook(cls, unstructure)
        converter.register_structure_hook(cls, structure)
    for value in _samples():  # every nested hook (unions, tuples) was built with its parent
        converter.structure(converter.unstructure(value), type(value))
    for cls, fields in declared.items():
        for f, typ in fields:
            object.__setattr__(f, "type", typ)  # attrs' own way to set it (resolve_types)
        if flags[cls] is None and "__attrs_types_resolved__" in cls.__dict__:
            delattr(cls, "__attrs_types_resolved__")


def _samples() -> list[object]:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    claim = Claim(
        "C-1", "RETURN", "REQUESTED", "DELIVERED", "r", (("reason", "r"),), held_from="REQUESTED",
        delivery=ClaimDelivery("USER", 1, 2, 1), requested_at=at,
    )  # fmt: skip
    op = OrderProduct(
        "OP", "toss", "DELIVERED", "I", 1, open_claim=claim, closed_claims=(claim,), version=1,
        money=LineMoney(coupon_ids=("C",)), paid_at=at, delivered_at=at,
        shipping_deadline=dt.date(2026, 1, 2),
    )  # fmt: skip
    quote = Quote(MoneyRule.RETURN, 1, 1, 0, 0, 0, 0, "r", 0, 0, 1, 0, 1, 0)
    effect = Effect(EffectKind.REFUND, 1, "c", "t", quote=quote, restore=Restore("I", 1, ("C",)))
    event = HistoryEvent(
        "OP", 1, Marketplace.TOSS, Action.RETURN_REQUEST, Actor.BUYER, "T6", Status.DELIVERED,
        Status.DELIVERED, "C-1", ClaimType.RETURN, None, ClaimStatus.REQUESTED, (effect,),
        (("reason", "r"),), dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    return [op, claim, effect, event, CandidateItem("I2", 1, True, 1)]


_prepare_hooks()


def dump_order_product(op: OrderProduct) -> dict[str, Any]:
    """An order product as a JSON object."""
    out: dict[str, Any] = converter.unstructure(op)
    return out


def dump_event(event: HistoryEvent) -> dict[str, Any]:
    """A history event as a JSON object."""
    out: dict[str, Any] = converter.unstructure(event)
    return out


def dump_effect(effect: Effect) -> dict[str, Any]:
    """An effect as a JSON object."""
    out: dict[str, Any] = converter.unstructure(effect)
    return out


def load(raw: object, cls: type[T], *, table: str, key: str) -> T:
    """*raw* as a *cls*, or a :class:`~claimflow.exceptions.CorruptRowError` naming the row."""
    try:
        return converter.structure(raw, cls)
    except Exception as e:  # cattrs wraps validator errors in its own groups
        detail = "; ".join(_reasons(e))
        msg = f"{table} row {key!r} cannot be read as {cls.__name__}: {detail}"
        raise CorruptRowError(msg, table=table, key=key) from None


def _reasons(e: BaseException) -> list[str]:
    if isinstance(e, BaseExceptionGroup):
        out: list[str] = []
        for sub in e.exceptions:
            out.extend(_reasons(sub))
        return out
    notes = getattr(e, "__notes__", None) or []
    where = f" ({'; '.join(notes)})" if notes else ""
    return [f"{type(e).__name__}: {e}{where}"]
