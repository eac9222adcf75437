"""Which of this turn's changed rows of ``spec/rules.md`` the installed claimflow engine follows.

Temporary, for this merge window only: ``spec/rules.md`` changed rows (Toss T3/T5; imweb
I3/I3a/I4, I6, I16; money M6) while the engine was being updated on another branch. The example
OMSs are written to the new table, with one class flag per changed row; :func:`binding_for`
switches those flags to what the engine installed here does, so the examples can be checked
before and after the merge (imweb I16, the exchange rejection with an invoice, is followed by
the engine now and no longer flagged). Once the engine follows the new table every flag is True and
:func:`binding_for` returns the binding unchanged: delete this module then.
"""

from __future__ import annotations

from typing import Any

import claimflow as cf


def engine_rows() -> dict[str, bool]:
    """The row flags of the example OMSs, as the installed engine decides."""
    imweb = cf.OrderProduct("probe", "imweb", "PAID", "SKU", 1000, 2)
    asked = cf.apply(imweb, "cancel.request", "BUYER", reason_code="SOLD_OUT").order_product
    approve = cf.check(asked, "cancel.approve", "SELLER", extra_charge=300)
    exchanged = cf.OrderProduct("probe", "imweb", "EXCHANGED", "SKU", 1000)
    returnable = cf.check(exchanged, "return.request", "BUYER", reason_code="SOLD_OUT")
    toss = cf.OrderProduct("probe", "toss", "PREPARING", "SKU", 1000)
    toss_asked = cf.apply(toss, "cancel.request", "BUYER", reason="x").order_product
    seller_cancel = {s for r in cf.rules("toss") if r.id == "T5" for s in r.from_statuses or ()}
    return {
        "REFUND_IS_ASYNC": approve.to_status is cf.Status.PAID,
        "RETURN_FROM_EXCHANGED": returnable.allowed,
        "CHARGE_EXTRA_IS_REMAINDER": approve.effect(cf.EffectKind.CHARGE_EXTRA) is None,
        "SYSTEM_APPROVES_CANCEL": cf.check(toss_asked, "cancel.approve", "SYSTEM").allowed,
        "SELLER_CANCEL_DURING_CLAIM": cf.Status.RETURN_COLLECTING in seller_cancel,
    }


def binding_for(binding: type[Any]) -> type[Any]:
    """*binding* (an example OMS binding) with its OMS's row flags set to the engine's."""
    oms = binding.oms_class
    rows = {k: v for k, v in engine_rows().items() if hasattr(oms, k)}
    if all(rows.values()):
        return binding
    flagged = type(oms.__name__, (oms,), rows)
    return type(binding.__name__, (binding,), {"oms_class": flagged})


def _examples() -> tuple[type[Any], type[Any]]:
    from imweb_oms import ImwebOMSBinding  # noqa: PLC0415 - the examples import claimflow.testing
    from toss_oms import TossOMSBinding  # noqa: PLC0415

    return binding_for(TossOMSBinding), binding_for(ImwebOMSBinding)


#: the example bindings as the installed engine expects them (``claimflow oracle rules_compat:...``)
TossOMSBinding, ImwebOMSBinding = _examples()
