"""Hypothesis strategies for the marketplaces' wire payloads, valid and malformed.

Valid payloads are *rendered from claimflow states*: the order products are reachable ones
(walked by :func:`~claimflow.testing.order_products`, or set into one of
:func:`~claimflow.reachable_states`) and they are rendered through the marketplace's codec
(:mod:`claimflow.adapters.codecs`: ``toss.encode_claim_item``, ``imweb.wire_state``,
``x2bee.encode_error`` ...), so every valid payload maps back to the state it was drawn from.
One module per marketplace (``_wire_toss``, ``_wire_imweb``, ``_wire_x2bee``, each with
``BUILDERS``, ``SPOTS`` and ``WRONG_ENVELOPE``) on a shared part (``_wire_base``).
Malformed payloads take a valid one and break it in exactly one way (a missing required field, a
wrong type, an unknown status code, not-JSON bytes, another marketplace's envelope, an HTTP status
the marketplace never answers with), each paired with the field the adapter's
:class:`~claimflow.exceptions.UnexpectedResponseError` must name.

Field names, codes and envelopes are imported from the codecs wherever they are data (status
tables, error-code tables, HTTP statuses of the spec); the fields the parsers require are listed
here, per kind, so a change in an adapter's parsing shows up as a failing test rather than
silently diverging.

Needs the ``testing`` and ``adapters`` extras (hypothesis, httpx).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hypothesis import strategies as st

from .._values import OrderProduct
from .._vocab import Marketplace
from ..exceptions import InvalidInputError
from . import _wire_imweb, _wire_toss, _wire_x2bee
from ._wire_base import (
    _NOT_JSON,
    _SPECS,
    _UNUSED_STATUSES,
    KINDS,
    MP,
    Malformed,
    Problem,
    WirePayload,
    _break,
    _Draws,
    _marketplace,
    _plain,
    _Spot,
)

#: one module per marketplace, each with the same names (BUILDERS, SPOTS, WRONG_ENVELOPE)
_MODULES = {MP.TOSS: _wire_toss, MP.IMWEB: _wire_imweb, MP.X2BEE: _wire_x2bee}
_Builder = Callable[[_Draws], st.SearchStrategy[WirePayload]]
_SpotsOf = Callable[[WirePayload], list[_Spot]]
_BUILDERS: Mapping[Marketplace, Mapping[str, _Builder]] = {
    mp: m.BUILDERS for mp, m in _MODULES.items()
}
_SPOTS: Mapping[Marketplace, Mapping[str, _SpotsOf]] = {mp: m.SPOTS for mp, m in _MODULES.items()}
_WRONG_ENVELOPES: Mapping[Marketplace, _SpotsOf] = {
    mp: m.WRONG_ENVELOPE for mp, m in _MODULES.items()
}

__all__ = [
    "KINDS",
    "Malformed",
    "Problem",
    "WirePayload",
    "malformed_payloads",
    "wire_payloads",
]

# --- public strategies --------------------------------------------------------------------------


def wire_payloads(
    marketplace: Marketplace | str,
    kind: str,
    *,
    sources: st.SearchStrategy[OrderProduct] | None = None,
    min_items: int | None = None,
    max_items: int = 3,
) -> st.SearchStrategy[WirePayload]:
    """Valid answers of *marketplace* of *kind* (see :data:`KINDS`), rendered from claimflow
    states with the adapter's own status tables.

    *sources* draws the order products shown. By default they are reachable ones: half walked
    from a fresh one by :func:`~claimflow.testing.order_products` (with the closed claims behind
    them), half set straight into one of the engine's :func:`~claimflow.reachable_states`, so
    that every state shows up; x2bee ``cost`` defaults to fresh ones, which may be cancelled.
    Their ids are replaced by the marketplace's where its ids have a shape (imweb). Pages and
    batches show *min_items* to *max_items* of them (the minimum defaults to 0 for a page, 1
    where the marketplace always shows one); single-item answers show one; ``error`` answers
    show none.
    """
    mp = _marketplace(marketplace)
    build = _BUILDERS[mp].get(kind)
    if build is None:
        known = ", ".join(KINDS[mp])
        msg = f"{mp} has no wire payload kind {kind!r}; expected one of {known}"
        raise InvalidInputError(msg, field="kind")
    return build(_Draws(mp, kind, sources, min_items, max_items))


def malformed_payloads(
    marketplace: Marketplace | str,
    kind: str,
    *,
    sources: st.SearchStrategy[OrderProduct] | None = None,
    min_items: int | None = None,
    max_items: int = 3,
) -> st.SearchStrategy[Malformed]:
    """Answers of *marketplace* of *kind* broken in exactly one way, each with the field the
    adapter's :class:`~claimflow.exceptions.UnexpectedResponseError` must name.

    Built from :func:`wire_payloads` (same arguments, but pages and batches show at least one
    order product unless *min_items* says otherwise): one spot of a valid payload is removed,
    mistyped, given an unknown code or made inconsistent, or the whole answer is replaced (not
    JSON, another marketplace's envelope) or sent with an HTTP status the marketplace never uses.
    """
    mp = _marketplace(marketplace)
    low = 1 if min_items is None else min_items  # an item to break
    valid = wire_payloads(mp, kind, sources=sources, min_items=low, max_items=max_items)
    spots = _SPOTS[mp][kind]

    def breaks(payload: WirePayload) -> st.SearchStrategy[Malformed]:
        return st.sampled_from([*spots(payload), *_common_spots(payload)]).flatmap(
            lambda spot: _break(payload, spot)
        )

    return valid.flatmap(breaks)


def _common_spots(payload: WirePayload) -> list[_Spot]:
    """Not JSON; an HTTP status the marketplace never answers with; another envelope."""
    spec = _SPECS[payload.marketplace]
    statuses = [
        s for s in _UNUSED_STATUSES if s not in spec.envelope_statuses and s not in spec.http_errors
    ]
    # an error status without JSON is judged by the status alone (a gateway's page), not the body
    spots = [
        _Spot((), Problem.NOT_JSON, _NOT_JSON, "body", _plain(payload)),
        _Spot(
            (), Problem.HTTP_STATUS, st.just(payload.body), "status_code", st.sampled_from(statuses)
        ),
    ]
    return spots + _WRONG_ENVELOPES[payload.marketplace](payload)
