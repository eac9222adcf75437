"""What every codec is made of: the wire-fact values and the two directions of a request.

A codec (``codecs/toss.py``, ``codecs/imweb.py``, ``codecs/x2bee.py``) is the one module that
knows a marketplace's wire format. The adapter *encodes* requests and *decodes* answers with it;
the emulator *decodes* requests and *encodes* answers with the same tables; the test payload
generators render through it. Every wire fact in a codec carries its source tag (``doc``,
``client`` or ``inferred``, as in ``shared/spec/marketplaces.md``).

This module holds what every codec is built from: the one request-body :class:`Template`
(rendered by the adapter, parsed back by the emulator), :func:`match_action` / :func:`decode_body`
(an incoming method and path read back with the same :class:`Endpoint` table the adapter sends
with), and :class:`Refusal` (the refusals every emulator answers in its marketplace's envelope,
each codec's ``encode_refusal``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Literal

import attrs

from ..._vocab import Action
from ...exceptions import InvalidInputError
from .._boundary import parse_json_body
from .._codec import Endpoint
from .._values import (
    RemoteAction,
)

__all__ = [
    "DecodedAction",
    "From",
    "Opt",
    "PerItem",
    "Refusal",
    "Tag",
    "Template",
    "TemplateMismatch",
    "Unused",
    "day_of",
    "decode_body",
    "end_of_day",
    "match_action",
    "parse_json_body",
]

#: The confidence of a wire fact (marketplaces.md): stated in a source document, seen in public
#: client code, or inferred by nobody's word.
Tag = Literal["doc", "client", "inferred"]

_SLOT = re.compile(r"\\\{(\w+)\\\}")
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(path: str) -> re.Pattern[str]:
    pattern = _COMPILED.get(path)
    if pattern is None:
        pattern = re.compile("^" + _SLOT.sub(r"(?P<\1>[^/]+)", re.escape(path)) + "$")
        _COMPILED[path] = pattern
    return pattern


def match_action(
    actions: Mapping[Action, Endpoint], method: str, path: str, *, prefix: str = ""
) -> list[tuple[Action, Endpoint, dict[str, str]]]:
    """Every action whose endpoint is *method* *path* (with ``prefix`` stripped), with its
    endpoint and the path's slot values (``claim_id``, ``order_product_id``, ``order_id``), in the
    table's order. Several actions may share a path (Toss's status call, imweb ``return/reject``
    and ``return.to_exchange``): the body tells them apart (see :func:`decode_body`).
    """
    if prefix:
        if not path.startswith(prefix):
            return []
        path = path[len(prefix) :]
    found = []
    for action, endpoint in actions.items():
        if endpoint.method != method:
            continue
        m = _pattern(endpoint.path).match(path)
        if m is not None:
            found.append((action, endpoint, m.groupdict()))
    return found


@attrs.frozen
class DecodedAction:
    """A request read back: the action, the ids its path and body name, its parameters."""

    action: Action
    ids: Mapping[str, object]
    params: Mapping[str, object]


_ID_SLOTS = frozenset({"order_id", "order_product_id", "claim_id", "items"})


def decode_body(
    actions: Mapping[Action, Endpoint], method: str, path: str, body: object, *, prefix: str = ""
) -> DecodedAction | None:
    """The action a request carries out, read with the same :class:`Endpoint` table the adapter
    sends with: None when no endpoint is that path; of several on one path, the first whose body
    :class:`Template` the body fits. Raises :class:`TemplateMismatch` for a body that fits none
    (an endpoint without a body takes none, or ``{}``)."""
    first_error: TemplateMismatch | None = None
    for action, endpoint, slots in match_action(actions, method, path, prefix=prefix):
        ids: dict[str, object] = dict(slots)
        try:
            parsed = _parse_endpoint_body(endpoint, body)
        except TemplateMismatch as e:
            first_error = first_error or e
            continue
        params = {k: v for k, v in parsed.items() if k not in _ID_SLOTS}
        ids.update({k: v for k, v in parsed.items() if k in _ID_SLOTS})
        return DecodedAction(action, ids, params)
    if first_error is not None:
        raise first_error
    return None


def _parse_endpoint_body(endpoint: Endpoint, body: object) -> dict[str, object]:
    if isinstance(endpoint.body, Template):
        return endpoint.body.parse(body)
    if endpoint.body is not None:  # pragma: no cover - every codec's bodies are templates
        msg = f"{endpoint.method} {endpoint.path}: its body is not a Template"
        raise TypeError(msg)
    if body is None or body == {}:  # no body: none, or an empty object
        return {}
    if isinstance(body, dict):
        raise TemplateMismatch(f"body.{sorted(body)[0]}", "unknown field")
    raise TemplateMismatch("body", "expected no body")


class Refusal(StrEnum):
    """Why an emulator refuses a request before any action, answered in the marketplace's own
    envelope by its codec's ``encode_refusal(refusal, message)`` (HTTP status and body)."""

    UNAUTHORIZED = "unauthorized"  # no, an unknown or an expired credential
    RATE_LIMITED = "rate_limited"  # too many requests
    MALFORMED = "malformed"  # a body that is not acceptable (not JSON, wrong fields)
    TOO_LARGE = "too_large"  # a body above the emulator's limit (HTTP 413)
    FAILED = "failed"  # the server failed answering (HTTP 500)


# --- the request-body template ------------------------------------------------------------------

#: What a :class:`From` leaf may name besides a parameter: the action's ids.
SLOTS = {
    "order_id": "the order id",
    "order_product_id": "the order product id",
    "claim_id": "the claim id: read the order product or its claims first",
    "items": "the order products of the call",
}


@attrs.frozen
class From:
    """A body value taken from the :class:`RemoteAction`: one of its ids (``order_id``,
    ``order_product_id``, ``claim_id``, ``items``: every order product of a batch) or a
    parameter; ``pick`` reads one attribute of it (``From("new_item", pick="item_id")``),
    ``wire`` converts it for the wire (a date to a date-time string, say); ``optional`` leaves
    the field out when the value, or its wire form, is absent (None).

    Reading a body back, ``read`` is the inverse of ``wire`` (it raises ``ValueError`` or
    ``TypeError`` for a value the marketplace would refuse). Two leaves may fill one name: the
    later one in the template wins (imweb's hold reason: ``reason_detail`` over
    ``reason_code``)."""

    name: str
    optional: bool = False
    pick: str | None = None
    wire: Callable[[Any], object] | None = attrs.field(default=None, eq=False, repr=False)
    #: the inverse of ``wire``, for reading a body back (raises ValueError for a bad value)
    read: Callable[[Any], object] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Opt:
    """A field left out when its node renders empty (an object or array with nothing in it):
    imweb's ``etc`` [doc: "etc" carries the optional data]. Reading, an absent or null field is
    read as empty."""

    node: object


@attrs.frozen
class PerItem:
    """A list of amounts per item: ``[{item_key: item, amount_key: amount}]`` (imweb's
    ``etc_price`` / ``refund_point``, §5.2 [doc]).

    The adapter sends **one entry**, on the item the action is for (``item``, a :class:`From`
    leaf), when parameter ``param`` is given and not 0 (nothing charged or refunded otherwise),
    never the amount repeated per item. Reading, every entry comes back as ``{param: {item:
    amount}}`` (the amounts split as the caller said); an entry must name each item once, with a
    whole amount from 0.
    """

    param: str
    item: From
    item_key: str
    amount_key: str


@attrs.frozen
class Unused:
    """A documented field claimflow never sends and the emulator accepts and leaves unread (its
    meaning has no claimflow parameter); ``why`` says so. Rendered: left out."""

    why: str


_OMIT = object()


class TemplateMismatch(ValueError):  # noqa: N818 - a request that does not fit, for the emulators
    """A request body does not fit a :class:`Template` (the emulators refuse it, naming
    ``field``)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@attrs.frozen
class Template:
    """A JSON request body as data: objects, arrays and constants as they go on the wire, with
    :class:`From`, :class:`PerItem`, :class:`Opt` and :class:`Unused` nodes filled in from the
    action. The one body template of every codec.

    ``render(action)`` (also ``__call__``: a template is an :class:`Endpoint` body builder)
    builds the body, refusing a missing required value before anything is sent (``guard``, when
    given, checks the action first and raises its own error: imweb ``exchange/reject`` needs a
    carrier the rule does not take); ``parse(body)`` is the inverse the emulators use: the
    parameters and ids a body carries, refusing unknown fields, wrong constants and missing
    required values.
    """

    template: object
    marketplace: str = "marketplace"
    guard: Callable[[RemoteAction], None] | None = attrs.field(default=None, eq=False, repr=False)

    def __call__(self, action: RemoteAction, /) -> object:
        """The body for *action*."""
        return self.render(action)

    def render(self, action: RemoteAction) -> object:
        """The body for *action*."""
        if self.guard is not None:
            self.guard(action)
        return _render(self.template, _of_action(action, self.marketplace), "")

    def fill(self, values: Mapping[str, object], what: str = "") -> object:
        """The body with its leaves taken from *values* (a read's body: no action behind it);
        *what* names the call in a refusal."""
        return _render(self.template, _Source(values.get, f"{self.marketplace}: {what}"), "")

    def parse(self, body: object) -> dict[str, object]:
        """``{name: value}`` of every :class:`From` leaf *body* fills (one element per array),
        ``{param: {item: amount}}`` of every :class:`PerItem`."""
        out: dict[str, object] = {}
        _parse(self.template, body, "body", out)
        return out

    def wire_names(self) -> dict[str, str]:
        """``{name: wire field}`` of every :class:`From` leaf: which field of the body carries a
        parameter (an emulator's refusal names the field the caller sent)."""
        names: dict[str, str] = {}
        _names(self.template, "", names)
        return names


def _empty(value: object) -> bool:
    return value is _OMIT or value in ({}, [])


@attrs.frozen
class _Source:
    """Where a render takes its values: an action (its ids and parameters), or a mapping."""

    get: Callable[[str], object]
    what: str  # "toss: cancel.reject", for a refusal's message


def _of_action(action: RemoteAction, marketplace: str) -> _Source:
    def get(name: str) -> object:
        return getattr(action, name) if name in SLOTS else action.param(name)

    return _Source(get, f"{marketplace}: {action.action}")


def _render(node: object, src: _Source, wire: str) -> object:
    if isinstance(node, dict):
        rendered = {k: _render(v, src, k) for k, v in node.items()}
        return {k: v for k, v in rendered.items() if v is not _OMIT}
    if isinstance(node, list):
        return [_render(v, src, wire) for v in node]
    if isinstance(node, Opt):
        value = _render(node.node, src, wire)
        return _OMIT if _empty(value) else value
    if isinstance(node, PerItem):
        amount = src.get(node.param)
        if amount is None or amount == 0:  # nothing charged / refunded (imweb: "미입력 시 …")
            return _OMIT
        if type(amount) is not int or amount < 0:  # never a made-up amount on the wire
            msg = f"{src.what}: {node.param} must be a whole number of won >= 0, got {amount!r}"
            raise InvalidInputError(msg, field=node.param)
        item = _render(node.item, src, node.item_key)
        return [{node.item_key: item, node.amount_key: amount}]
    if isinstance(node, Unused):
        return _OMIT
    if not isinstance(node, From):
        return node
    value = src.get(node.name)
    if value is None:
        if node.optional:
            return _OMIT
        what = SLOTS.get(node.name, f"parameter {node.name!r}")
        msg = f"{src.what} needs {what} for the body field {wire!r}"
        raise InvalidInputError(msg, field=node.name)
    try:
        if node.pick:
            value = getattr(value, node.pick)
        if node.wire is not None:
            value = node.wire(value)
    except (AttributeError, TypeError, ValueError) as e:  # a value of the wrong kind
        shown = type(value).__name__
        msg = f"{src.what}: {node.name} cannot be sent as the body field {wire!r} ({shown}: {e})"
        raise InvalidInputError(msg, field=node.name) from None
    return _OMIT if value is None and node.optional else value


def _parse(node: object, body: object, where: str, out: dict[str, object]) -> None:
    if isinstance(node, From):
        if body is None and not node.optional:
            raise TemplateMismatch(where, "missing")
        if body is not None:
            try:
                value = node.read(body) if node.read else body
            except (TypeError, ValueError):
                raise TemplateMismatch(where, f"malformed value {body!r:.60}") from None
            out[node.name if not node.pick else f"{node.name}.{node.pick}"] = value
        return
    if isinstance(node, Opt):
        if body is not None:
            _parse(node.node, body, where, out)
        return
    if isinstance(node, PerItem):
        _parse_per_item(node, body, where, out)
        return
    if isinstance(node, Unused):
        return
    if isinstance(node, dict):
        if not isinstance(body, dict):
            raise TemplateMismatch(where, "expected an object")
        unknown = sorted(set(body) - set(node))
        if unknown:
            raise TemplateMismatch(f"{where}.{unknown[0]}", "unknown field")
        for key, sub in node.items():
            if key not in body:
                if _may_be_absent(sub):
                    continue
                raise TemplateMismatch(f"{where}.{key}", "missing")
            _parse(sub, body[key], f"{where}.{key}", out)
        return
    if isinstance(node, list):
        if not isinstance(body, list) or len(body) != len(node):
            raise TemplateMismatch(where, f"expected an array of {len(node)}")
        for i, (sub, item) in enumerate(zip(node, body, strict=True)):
            _parse(sub, item, f"{where}[{i}]", out)
        return
    if body != node:
        raise TemplateMismatch(where, f"expected {node!r}, got {body!r:.60}")


def _may_be_absent(node: object) -> bool:
    return isinstance(node, Opt | PerItem | Unused) or (isinstance(node, From) and node.optional)


def _parse_per_item(node: PerItem, body: object, where: str, out: dict[str, object]) -> None:
    if body is None:
        return
    if not isinstance(body, list):
        raise TemplateMismatch(where, "expected an array")
    amounts: dict[object, int] = {}
    keys = {node.item_key, node.amount_key}
    for i, entry in enumerate(body):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict) or set(entry) != keys:
            raise TemplateMismatch(at, f"expected {{{node.item_key}, {node.amount_key}}}")
        item: dict[str, object] = {}
        _parse(node.item, entry[node.item_key], f"{at}.{node.item_key}", item)
        (key,) = item.values()
        amount = entry[node.amount_key]
        if type(amount) is not int or amount < 0:
            raise TemplateMismatch(
                f"{at}.{node.amount_key}", f"expected whole won, got {amount!r:.60}"
            )
        if key in amounts:
            raise TemplateMismatch(f"{at}.{node.item_key}", f"{key!r:.60} named twice")
        amounts[key] = amount
    out[node.param] = amounts


def _names(node: object, wire: str, names: dict[str, str]) -> None:
    if isinstance(node, From):
        names.setdefault(node.name, wire)
    elif isinstance(node, Opt):
        _names(node.node, wire, names)
    elif isinstance(node, PerItem):
        names.setdefault(node.param, wire)
    elif isinstance(node, dict):
        for key, sub in node.items():
            _names(sub, key, names)
    elif isinstance(node, list):
        for sub in node:
            _names(sub, wire, names)


def end_of_day(value: dt.date) -> str:
    """A date as the wire's local date-time at the end of that day (``2026-12-08T23:59:59``)."""
    return dt.datetime.combine(value, dt.time(23, 59, 59)).isoformat()


def day_of(value: object) -> dt.date:
    """The inverse of :func:`end_of_day`: the day of a local date-time string."""
    if not isinstance(value, str):
        raise TypeError(value)
    return dt.datetime.fromisoformat(value).date()
