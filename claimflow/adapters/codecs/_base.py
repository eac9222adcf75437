"""What every codec is made of: the wire-fact values and the two directions of a request.

A codec (``codecs/toss.py``, ``codecs/imweb.py``, ``codecs/x2bee.py``) is the one module that
knows a marketplace's wire format. The adapter *encodes* requests and *decodes* answers with it;
the emulator *decodes* requests and *encodes* answers with the same tables; the test payload
generators render through it. Every wire fact in a codec carries its source tag (``doc``,
``client`` or ``inferred``, as in ``shared/spec/marketplaces.md``).

This module adds the request-side inverse the emulators need: :func:`match_action` finds the
action an incoming method and path carry out (from the same :class:`Endpoint` table the adapter
sends with), :func:`fields_params` reads a flat body back into claimflow parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from ..._vocab import Action
from ...exceptions import InvalidInputError
from .._codec import (
    Endpoint,
    Fields,
)
from .._values import (
    RemoteAction,
)

__all__ = [
    "DecodedAction",
    "From",
    "Tag",
    "Template",
    "TemplateMismatch",
    "UnknownFieldsError",
    "day_of",
    "decode_body",
    "end_of_day",
    "fields_params",
    "match_action",
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


_ID_SLOTS = frozenset({"order_id", "order_product_id", "claim_id"})


def decode_body(
    actions: Mapping[Action, Endpoint], method: str, path: str, body: object, *, prefix: str = ""
) -> DecodedAction | None:
    """The action a request carries out, read with the same :class:`Endpoint` table the adapter
    sends with: None when no endpoint is that path; of several on one path, the first whose body
    template the body fits. Raises :class:`UnknownFieldsError` / :class:`TemplateMismatch` /
    ``TypeError`` for a body that fits none."""
    first_error: Exception | None = None
    for action, endpoint, slots in match_action(actions, method, path, prefix=prefix):
        ids: dict[str, object] = dict(slots)
        try:
            if isinstance(endpoint.body, Template):
                parsed = endpoint.body.parse(body)
                params = {k: v for k, v in parsed.items() if k not in _ID_SLOTS}
                ids.update({k: v for k, v in parsed.items() if k in _ID_SLOTS})
            else:
                fields = endpoint.body if isinstance(endpoint.body, Fields) else None
                params = fields_params(fields, body)
        except (UnknownFieldsError, TemplateMismatch, TypeError) as e:
            first_error = first_error or e
            continue
        return DecodedAction(action, ids, params)
    if first_error is not None:
        raise first_error
    return None


class UnknownFieldsError(ValueError):
    """A request body names fields the endpoint does not take (the emulators refuse it)."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def fields_params(fields: Fields | None, body: object) -> dict[str, object]:
    """The claimflow parameters a flat body carries: the inverse of :class:`Fields`.

    ``None`` or ``{}`` for an endpoint without a body; raises :class:`UnknownFieldsError` naming
    fields the endpoint does not take, ``TypeError`` for a body that is not an object.
    """
    if body is None:
        body = {}
    if not isinstance(body, dict):
        msg = "a request body must be a JSON object"
        raise TypeError(msg)
    names = fields.names if fields is not None else {}
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise UnknownFieldsError(unknown)
    return {names[k]: v for k, v in body.items()}


# --- the request-body template ------------------------------------------------------------------

#: What a :class:`From` leaf may name besides a parameter: the action's ids.
SLOTS = {
    "order_id": "the order id",
    "order_product_id": "the order product id",
    "claim_id": "the claim id: read the order product or its claims first",
}


@attrs.frozen
class From:
    """A body value taken from the :class:`RemoteAction`: one of its ids (``order_id``,
    ``order_product_id``, ``claim_id``) or a parameter; ``pick`` reads one attribute of it
    (``From("new_item", pick="item_id")``), ``wire`` converts it for the wire (a date to a
    date-time string, say); ``optional`` leaves the field out when the value is absent."""

    name: str
    optional: bool = False
    pick: str | None = None
    wire: Callable[[Any], object] | None = attrs.field(default=None, eq=False, repr=False)
    #: the inverse of ``wire``, for reading a body back (raises ValueError for a bad value)
    read: Callable[[Any], object] | None = attrs.field(default=None, eq=False, repr=False)


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
    :class:`From` leaves filled in from the action. The one body template of every codec.

    ``render(action)`` (also ``__call__``: a template is an :class:`Endpoint` body builder)
    builds the body, refusing a missing required value before anything is sent;
    ``parse(body)`` is the inverse the emulators use: the parameters and ids a body carries,
    refusing unknown fields, wrong constants and missing required values.
    """

    template: object
    marketplace: str = "marketplace"

    def __call__(self, action: RemoteAction, /) -> object:
        """The body for *action*."""
        return self.render(action)

    def render(self, action: RemoteAction) -> object:
        """The body for *action*."""
        return _render(self.template, action, "", self.marketplace)

    def parse(self, body: object) -> dict[str, object]:
        """``{name: value}`` of every :class:`From` leaf *body* fills (one element per array)."""
        out: dict[str, object] = {}
        _parse(self.template, body, "body", out)
        return out


def _render(node: object, action: RemoteAction, wire: str, marketplace: str) -> object:
    if isinstance(node, dict):
        rendered = {k: _render(v, action, k, marketplace) for k, v in node.items()}
        return {k: v for k, v in rendered.items() if v is not _OMIT}
    if isinstance(node, list):
        return [_render(v, action, wire, marketplace) for v in node]
    if not isinstance(node, From):
        return node
    value = getattr(action, node.name) if node.name in SLOTS else action.param(node.name)
    if value is None:
        if node.optional:
            return _OMIT
        what = SLOTS.get(node.name, f"parameter {node.name!r}")
        msg = f"{marketplace}: {action.action} needs {what} for the body field {wire!r}"
        raise InvalidInputError(msg, field=node.name)
    if node.pick:
        value = getattr(value, node.pick)
    return node.wire(value) if node.wire else value


def _parse(node: object, body: object, where: str, out: dict[str, object]) -> None:
    if isinstance(node, From):
        if body is None and not node.optional:
            raise TemplateMismatch(where, "missing")
        if body is not None:
            try:
                value = node.read(body) if node.read else body
            except (TypeError, ValueError):
                raise TemplateMismatch(where, f"malformed value {body!r}") from None
            out[node.name if not node.pick else f"{node.name}.{node.pick}"] = value
        return
    if isinstance(node, dict):
        if not isinstance(body, dict):
            raise TemplateMismatch(where, "expected an object")
        unknown = sorted(set(body) - set(node))
        if unknown:
            raise TemplateMismatch(f"{where}.{unknown[0]}", "unknown field")
        for key, sub in node.items():
            if key not in body:
                if isinstance(sub, From) and sub.optional:
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
        raise TemplateMismatch(where, f"expected {node!r}, got {body!r}")


def end_of_day(value: dt.date) -> str:
    """A date as the wire's local date-time at the end of that day (``2026-12-08T23:59:59``)."""
    return dt.datetime.combine(value, dt.time(23, 59, 59)).isoformat()


def day_of(value: object) -> dt.date:
    """The inverse of :func:`end_of_day`: the day of a local date-time string."""
    if not isinstance(value, str):
        raise TypeError(value)
    return dt.datetime.fromisoformat(value).date()
