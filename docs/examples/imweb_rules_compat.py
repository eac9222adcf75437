"""Which imweb rows of ``spec/rules.md`` the installed claimflow engine already follows.

Temporary, for this merge window only: ``spec/rules.md`` changed the imweb rows I3/I3a/I4
(asynchronous cancel refunds), I6 (a return from 교환완료) and I16 (an exchange rejection ships
the item back) while the engine was being updated on another branch. ``imweb_oms.py`` is written
to the new table; :func:`binding_for` switches its three row flags to what the engine installed
here does, so the example can be checked before and after the merge. Once the engine follows
the new table every flag is True and this module changes nothing: delete it then.
"""

from __future__ import annotations

from typing import Any

import claimflow as cf


def engine_rows() -> dict[str, bool]:
    """The three row flags of :class:`imweb_oms.ImwebOMS`, as the installed engine decides."""
    op = cf.OrderProduct("probe", "imweb", "PAID", "SKU", 1000)
    asked = cf.apply(op, "cancel.request", "BUYER", reason_code="SOLD_OUT").order_product
    approve = cf.check(asked, "cancel.approve", "SELLER")
    exchanged = cf.OrderProduct("probe", "imweb", "EXCHANGED", "SKU", 1000)
    returnable = cf.check(exchanged, "return.request", "BUYER", reason_code="SOLD_OUT")
    shipping = cf.OrderProduct("probe", "imweb", "SHIPPING", "SKU", 1000)
    ex = cf.apply(shipping, "exchange.request", "BUYER", reason_code="SOLD_OUT").order_product
    reject_params = {r.required_params for r in cf.rules("imweb") if r.action == "exchange.reject"}
    return {
        "REFUND_IS_ASYNC": approve.to_status is cf.Status.PAID,
        "RETURN_FROM_EXCHANGED": returnable.allowed,
        "EXCHANGE_REJECT_SHIPS_BACK": any("tracking_number" in p for p in reject_params)
        and ex.open_claim is not None,
    }


def binding_for(binding: type[Any]) -> type[Any]:
    """*binding* (an ImwebOMSBinding or a subclass) with its OMS's row flags set to the engine's."""
    rows = engine_rows()
    if all(rows.values()):
        return binding
    oms = type(binding.oms_class.__name__, (binding.oms_class,), rows)
    return type(binding.__name__, (binding,), {"oms_class": oms})
