"""Adapter layer 2, the codec base: reading wire fields (``wire_*``, :class:`WireFieldError`),
the values a codec's tables are made of (:class:`StatusCode`, :class:`Endpoint`,
:class:`Unsupported`, :class:`Envelope`). The one request-body template and the codecs
themselves are :mod:`claimflow.adapters.codecs`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from .._money import DeliveryFeeKind
from .._vocab import ClaimStatus, ClaimType, Status
from . import _boundary
from ._boundary import WireFieldError as WireFieldError  # noqa: PLC0414 - re-exported
from ._values import RemoteAction

# --- reading the wire -------------------------------------------------------------------------


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def wire_obj(obj: object, key: str, where: str = "") -> Mapping[str, Any]:
    """``obj[key]``, which must be a JSON object."""
    value = wire_get(obj, key, where)
    if not isinstance(value, dict):
        raise WireFieldError(_path(where, key), f"expected an object, got {type(value).__name__}")
    return value


def wire_get(obj: object, key: str, where: str = "") -> object:
    """``obj[key]``, which must be present (it may be null)."""
    if not isinstance(obj, dict):
        raise WireFieldError(where or "body", f"expected an object, got {type(obj).__name__}")
    try:
        return obj[key]
    except KeyError:
        raise WireFieldError(_path(where, key), "missing") from None


def wire_str(obj: object, key: str, where: str = "") -> str:
    """``obj[key]`` as a non-empty string (JSON numbers are accepted for ids)."""
    value = wire_get(obj, key, where)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WireFieldError(_path(where, key), f"expected a non-empty string, got {value!r}")


def wire_opt_str(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """``obj[key]`` as a string, or None when absent or null."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WireFieldError(_path(where, key), f"expected a string, got {value!r}")


def wire_opt_int(obj: Mapping[str, Any], key: str, where: str = "") -> int | None:
    """``obj[key]`` as an integer (won, counts), or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if -_boundary.SAFE_INT <= value <= _boundary.SAFE_INT:  # wire_int's range, no path built
            return value
        return _boundary.wire_int(value, _path(where, key))
    raise WireFieldError(_path(where, key), f"expected an integer, got {value!r}")


def wire_list(obj: object, key: str, where: str = "") -> list[Any]:
    """``obj[key]``, which must be a JSON array."""
    value = wire_get(obj, key, where)
    if not isinstance(value, list):
        raise WireFieldError(_path(where, key), f"expected an array, got {type(value).__name__}")
    return value


def wire_opt_datetime(
    obj: Mapping[str, Any], key: str, where: str = "", *, tz: dt.tzinfo = dt.UTC
) -> dt.datetime | None:
    """``obj[key]`` as an ISO 8601 date-time (naive ones are taken in *tz*), or None."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    raise WireFieldError(_path(where, key), f"expected an ISO 8601 date-time, got {value!r}")


@attrs.frozen
class StatusCode:
    """What one wire status code means in claimflow's vocabulary.

    ``status`` None: the code does not show the order-product status (see
    :class:`RemoteOrderProduct`); ``per_claim_type`` then may tell it from the open claim's type
    (Toss ``CLAIM_COLLECTING`` is 반품수거중 or 교환수거중). ``claim_type``/``claim_status``: the
    claim the code speaks of. ``tag`` is the spec's confidence: ``doc``, ``client`` or
    ``inferred``.
    """

    code: str
    status: Status | None
    claim_type: ClaimType | None = None
    claim_status: ClaimStatus | None = None
    per_claim_type: tuple[tuple[ClaimType, Status], ...] = ()
    tag: str = "doc"
    note: str = ""

    def resolve(self, claim_type: ClaimType | None) -> Status | None:
        """The status, using the open claim's type where the code alone does not tell."""
        if self.status is not None:
            return self.status
        return dict(self.per_claim_type).get(claim_type) if claim_type else None


# --- the spec a marketplace module fills in -------------------------------------------------


class BodyBuilder(Protocol):
    """Builds the JSON body of an action from its :class:`RemoteAction`; None for no body."""

    def __call__(self, action: RemoteAction, /) -> object: ...


@attrs.frozen
class Endpoint:
    """How one action is carried out: ``method`` and ``path`` (a template over the
    :class:`RemoteAction` fields ``{claim_id}``, ``{order_product_id}``, ``{order_id}``), the body
    builder (every codec's is a :class:`~claimflow.adapters.codecs.Template`), and the spec's
    confidence in them."""

    method: str
    path: str
    body: BodyBuilder | None = None
    tag: str = "doc"


@attrs.frozen
class Unsupported:
    """Why an action has no seller-API call: it is not published (``documented`` True: the
    marketplace says the call exists), or the buyer / the marketplace does it, not the seller."""

    why: str
    documented: bool = False


@attrs.frozen
class Envelope:
    """An answer unwrapped: ``ok`` and its payload, or the marketplace's error code and message."""

    ok: bool
    payload: object = None
    code: str | None = None
    message: str | None = None


def fee_kind(fee: int) -> DeliveryFeeKind:
    """A line's delivery-fee kind from the fee it carries."""
    # [inferred] the order row and item order carry the fee, not its kind (Toss deliveryFeeType
    # sits on the product): a fee paid is PAID, none is FREE
    return DeliveryFeeKind.PAID if fee else DeliveryFeeKind.FREE
