"""Business days and deadlines (rules.md D1-D5): exact dates around each rule, and properties.

Calendar facts used below (Korea, 2026, from the ``holidays`` package): 설날 16-18 Feb (Mon-Wed),
삼일절 substitute 2 Mar (Mon), 추석 24-26 Sep (Thu-Sat), 개천절 3 Oct (Sat) with its substitute
5 Oct (Mon), 한글날 9 Oct (Fri).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import claimflow as cf
from claimflow import _time
from claimflow._engine import example_params
from claimflow._vocab import SEOUL

A, S, CS, CT = cf.Action, cf.Status, cf.ClaimStatus, cf.ClaimType
D = dt.date


def kst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    """A moment in Seoul."""
    return dt.datetime(y, m, d, h, mi, tzinfo=SEOUL)


def midnight(day: dt.date) -> dt.datetime:
    """00:00 Seoul at the start of *day*."""
    return dt.datetime.combine(day, dt.time(), SEOUL)


def op(
    status: cf.Status | str = S.PAID,
    mp: cf.Marketplace | str = cf.Marketplace.TOSS,
    **kw: Any,
) -> cf.OrderProduct:
    """A Toss (by default) order product of 12,000 won in *status*."""
    return cf.OrderProduct("OP-1", mp, status, "ITEM-A", 12_000, **kw)


def claim(
    ctype: cf.ClaimType, status: cf.ClaimStatus, origin: cf.Status, at: dt.datetime | None
) -> cf.Claim:
    """An open claim requested at *at*."""
    return cf.Claim("C-1", ctype, status, origin, requested_at=at)


def by_rule(deadlines: tuple[cf.Deadline, ...]) -> dict[str, cf.Deadline]:
    """The deadlines keyed by rule id."""
    return {d.rule_id: d for d in deadlines}


CAL = _time.korean_calendar()


class TestBusinessCalendar:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            pytest.param(D(2026, 2, 13), True, id="friday"),
            pytest.param(D(2026, 2, 14), False, id="saturday"),
            pytest.param(D(2026, 2, 15), False, id="sunday"),
            pytest.param(D(2026, 2, 16), False, id="seollal-eve"),
            pytest.param(D(2026, 2, 17), False, id="seollal"),
            pytest.param(D(2026, 2, 18), False, id="seollal-2"),
            pytest.param(D(2026, 2, 19), True, id="after-seollal"),
            pytest.param(D(2026, 3, 2), False, id="substitute-holiday"),
            pytest.param(D(2026, 9, 24), False, id="chuseok-eve"),
            pytest.param(D(2026, 9, 25), False, id="chuseok"),
            pytest.param(D(2026, 10, 5), False, id="gaecheonjeol-substitute"),
            pytest.param(D(2026, 10, 9), False, id="hangul-day"),
        ],
    )
    def test_business_days(self, day: dt.date, expected: bool) -> None:
        """Weekends and Korean public holidays (substitutes too) are not business days."""
        assert expected == CAL.is_business_day(day)

    def test_shop_holiday(self) -> None:
        """A shop's own holiday is no business day; other calendars are unaffected."""
        shop = cf.BusinessCalendar(shop_holidays=[D(2026, 2, 19)])

        assert (False, True) == (
            shop.is_business_day(D(2026, 2, 19)),
            CAL.is_business_day(D(2026, 2, 19)),
        )

    @pytest.mark.parametrize(
        ("start", "n", "expected"),
        [
            pytest.param(D(2026, 2, 12), 1, D(2026, 2, 13), id="thu+1"),
            pytest.param(D(2026, 2, 12), 2, D(2026, 2, 19), id="thu+2-over-seollal"),
            pytest.param(D(2026, 2, 12), 3, D(2026, 2, 20), id="thu+3-over-seollal"),
            pytest.param(D(2026, 9, 22), 3, D(2026, 9, 29), id="tue+3-over-chuseok"),
            pytest.param(D(2026, 10, 2), 3, D(2026, 10, 8), id="fri+3-over-substitute"),
            pytest.param(D(2026, 2, 14), 0, D(2026, 2, 19), id="sat+0-next-business-day"),
            pytest.param(D(2026, 2, 13), 0, D(2026, 2, 13), id="fri+0-same-day"),
        ],
    )
    def test_add_business_days(self, start: dt.date, n: int, expected: dt.date) -> None:
        """The n-th business day after a day skips weekends and 설날/추석/substitute holidays."""
        assert expected == CAL.add_business_days(start, n)

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param({"shop_holidays": "2026-02-19"}, "shop_holidays", id="string"),
            pytest.param({"shop_holidays": None}, "shop_holidays", id="none"),
            pytest.param({"shop_holidays": [kst(2026, 2, 19)]}, "shop_holidays", id="datetime"),
            pytest.param({"shop_holidays": [20260219]}, "shop_holidays", id="int"),
        ],
    )
    def test_bad_shop_holidays(self, kwargs: dict[str, Any], field: str) -> None:
        """Shop holidays must be dates: anything else is an InvalidInputError naming the field."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.BusinessCalendar(**kwargs)

        assert field == e.value.field

    @pytest.mark.parametrize(
        ("day", "n", "field"),
        [
            pytest.param(kst(2026, 2, 12), 1, "day", id="datetime"),
            pytest.param("2026-02-12", 1, "day", id="string"),
            pytest.param(D(2026, 2, 12), -1, "n", id="negative"),
            pytest.param(D(2026, 2, 12), True, "n", id="bool"),
            pytest.param(D(9999, 12, 30), 3, "day", id="end-of-calendar"),
        ],
    )
    def test_bad_arguments(self, day: Any, n: Any, field: str) -> None:
        """Counting from a non-date, or a bad count, is a typed error naming the argument."""
        with pytest.raises(cf.InvalidInputError) as e:
            CAL.add_business_days(day, n)

        assert field == e.value.field

    def test_without_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the holidays package a calendar is a MissingExtraError naming the extra."""
        monkeypatch.setitem(sys.modules, "holidays", None)
        _time._korean_public_holidays.cache_clear()
        try:
            with pytest.raises(cf.MissingExtraError) as e:
                cf.BusinessCalendar()
        finally:
            _time._korean_public_holidays.cache_clear()

        assert ("time", True) == (e.value.extra, "claimflow[time]" in str(e.value))


class TestD1AutoApproval:
    """D1: a buyer's cancel request left 7 business days is approved by Toss (SYSTEM)."""

    def requested(self, at: dt.datetime) -> cf.OrderProduct:
        """A Toss order product in 상품준비중 with a cancel request made at *at* (via apply)."""
        prepared = cf.apply(op(), "order.prepare", "SELLER", at=at).order_product
        return cf.apply(prepared, "cancel.request", "BUYER", reason="변심", at=at).order_product

    def test_apply_remembers_the_request(self) -> None:
        """apply(at=...) stamps the new claim's requested_at."""
        at = kst(2026, 2, 12)

        assert at == self.requested(at).open_claim.requested_at  # type: ignore[union-attr]

    def test_seven_business_days_over_seollal(self) -> None:
        """Requested Thu 12 Feb 2026: the 7th business day (설날 skipped) is Thu 26 Feb."""
        d1 = by_rule(_time.due(self.requested(kst(2026, 2, 12)), kst(2026, 2, 13)))["D1"]

        assert (
            D(2026, 2, 26),
            midnight(D(2026, 2, 27)),
            A.CANCEL_APPROVE,
            0,
            "C",
        ) == (d1.last_day, d1.due_at, d1.system_action, d1.penalty_points, d1.claim_id[-2])

    @pytest.mark.parametrize(
        ("now", "overdue"),
        [
            pytest.param(kst(2026, 2, 26, 23, 59), False, id="last-minute"),
            pytest.param(midnight(D(2026, 2, 27)), True, id="at-the-deadline"),
        ],
    )
    def test_overdue_around_the_deadline(self, now: dt.datetime, overdue: bool) -> None:
        """Before the end of the last day it is pending; from 00:00 after it, overdue."""
        d1 = by_rule(_time.due(self.requested(kst(2026, 2, 12)), now))["D1"]

        assert overdue == d1.overdue

    def test_shop_holiday_moves_it(self) -> None:
        """A shop holiday on Thu 19 Feb moves the 7th business day to Fri 27 Feb."""
        shop = cf.BusinessCalendar(shop_holidays={D(2026, 2, 19)})

        d1 = by_rule(cf.due(self.requested(kst(2026, 2, 12)), kst(2026, 2, 13), calendar=shop))

        assert D(2026, 2, 27) == d1["D1"].last_day

    def test_not_for_a_return(self) -> None:
        """A return request is not approved automatically: no D1 (only D4)."""
        c = claim(CT.RETURN, CS.REQUESTED, S.DELIVERED, kst(2026, 2, 12))
        o = op(S.DELIVERED, open_claim=c)

        assert ["D4"] == [d.rule_id for d in cf.due(o, kst(2026, 2, 13))]

    def test_not_once_handled(self) -> None:
        """Once the request is approved the timer is gone."""
        o = self.requested(kst(2026, 2, 12))
        approved = cf.apply(o, "cancel.approve", "SELLER", at=kst(2026, 2, 13)).order_product

        assert () == cf.due(approved, kst(2026, 2, 13))


class TestD2AutoConfirmation:
    """D2: 7 days after delivery, with no open claim, Toss confirms the purchase (SYSTEM)."""

    def delivered(self, at: dt.datetime) -> cf.OrderProduct:
        """A Toss order product delivered at *at* (via apply)."""
        shipped = cf.apply(
            op(), "order.ship", "SELLER", carrier="CJ대한통운", tracking_number="1234-5678", at=at
        ).order_product
        return cf.apply(shipped, "order.deliver", "SYSTEM", at=at).order_product

    def test_apply_remembers_the_delivery(self) -> None:
        """order.deliver at *at* sets delivered_at."""
        at = kst(2026, 9, 20, 15)

        assert at == self.delivered(at).delivered_at

    def test_seven_calendar_days_even_over_chuseok(self) -> None:
        """Delivered Sun 20 Sep 2026: confirmed at the end of Sun 27 Sep (days, not business)."""
        d2 = by_rule(cf.due(self.delivered(kst(2026, 9, 20, 15)), kst(2026, 9, 21)))["D2"]

        assert (D(2026, 9, 27), midnight(D(2026, 9, 28)), A.ORDER_CONFIRM) == (
            d2.last_day,
            d2.due_at,
            d2.system_action,
        )

    @pytest.mark.parametrize(
        ("now", "overdue"),
        [
            pytest.param(kst(2026, 9, 27, 23, 59), False, id="last-minute"),
            pytest.param(midnight(D(2026, 9, 28)), True, id="at-the-deadline"),
        ],
    )
    def test_overdue_around_the_deadline(self, now: dt.datetime, overdue: bool) -> None:
        """Pending through the 7th day; overdue from the next midnight."""
        assert overdue == by_rule(cf.due(self.delivered(kst(2026, 9, 20, 15)), now))["D2"].overdue

    def test_not_with_an_open_claim(self) -> None:
        """An open return request stops the automatic confirmation: no D2."""
        o = cf.apply(
            self.delivered(kst(2026, 9, 20)), "return.request", "BUYER", reason="파손",
            at=kst(2026, 9, 21),
        ).order_product  # fmt: skip

        assert ["D4"] == [d.rule_id for d in cf.due(o, kst(2026, 9, 21))]

    def test_not_once_confirmed(self) -> None:
        """A confirmed order product has nothing due."""
        o = cf.apply(self.delivered(kst(2026, 9, 20)), "order.confirm", "BUYER").order_product

        assert () == cf.due(o, kst(2026, 9, 21))


class TestD3ShippingDeadline:
    """D3: ship within preparationDays business days of payment, or 1 penalty point."""

    def test_default_three_business_days_over_chuseok(self) -> None:
        """Paid Wed 23 Sep 2026: 추석 and the weekend skipped, ship by Wed 30 Sep."""
        d3 = by_rule(cf.due(op(paid_at=kst(2026, 9, 23, 14)), kst(2026, 9, 23, 15)))["D3"]

        assert (D(2026, 9, 30), midnight(D(2026, 10, 1)), None, 1) == (
            d3.last_day,
            d3.due_at,
            d3.system_action,
            d3.penalty_points,
        )

    @pytest.mark.parametrize(
        ("days", "expected"),
        [
            pytest.param(0, D(2026, 9, 28), id="0-next-business-day"),
            pytest.param(1, D(2026, 9, 28), id="1"),
            pytest.param(14, D(2026, 10, 19), id="14"),
        ],
    )
    def test_preparation_days(self, days: int, expected: dt.date) -> None:
        """Paid Sat 26 Sep (추석): 0 days is Mon 28 Sep; 14 skips 개천절/한글날 substitutes."""
        o = op(S.PREPARING, paid_at=kst(2026, 9, 26))

        out = by_rule(cf.due(o, kst(2026, 9, 26), preparation_days=days))

        assert expected == out["D3"].last_day

    @pytest.mark.parametrize("days", [-1, 15, True, 3.0, "3"])
    def test_bad_preparation_days(self, days: Any) -> None:
        """preparationDays outside 0-14 (or not an int) is an InvalidInputError naming it."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.due(op(paid_at=kst(2026, 9, 23)), kst(2026, 9, 23), preparation_days=days)

        assert "preparation_days" == e.value.field

    @pytest.mark.parametrize(
        ("now", "overdue"),
        [
            pytest.param(kst(2026, 9, 30, 23, 59), False, id="last-minute"),
            pytest.param(midnight(D(2026, 10, 1)), True, id="at-the-deadline"),
        ],
    )
    def test_overdue_around_the_deadline(self, now: dt.datetime, overdue: bool) -> None:
        """Shipping on the last day is in time; from the next midnight it is overdue."""
        assert overdue == by_rule(cf.due(op(paid_at=kst(2026, 9, 23, 14)), now))["D3"].overdue

    def test_a_known_shipping_deadline_wins(self) -> None:
        """Toss's shippingDeadlineAt (or order.delay's date) is the deadline when known."""
        o = op(S.DELAYED, paid_at=kst(2026, 9, 23), shipping_deadline=D(2026, 10, 7))

        assert D(2026, 10, 7) == by_rule(cf.due(o, kst(2026, 9, 23)))["D3"].last_day

    def test_none_once_shipped(self) -> None:
        """A shipped order product has no shipping deadline."""
        o = cf.apply(
            op(paid_at=kst(2026, 9, 23)), "order.ship", "SELLER", carrier="CJ대한통운",
            tracking_number="1234-5678",
        ).order_product  # fmt: skip

        assert () == cf.due(o, kst(2026, 9, 23))


class TestD4UntouchedClaim:
    """D4: a claim left untouched 3 business days costs 3 penalty points."""

    def test_three_business_days_over_substitute_holiday(self) -> None:
        """Requested Fri 2 Oct 2026: 개천절 (Sat) and its substitute (Mon 5 Oct) skipped: Thu 8."""
        c = claim(CT.EXCHANGE, CS.REQUESTED, S.DELIVERED, kst(2026, 10, 2))
        o = op(S.DELIVERED, open_claim=c)

        d4 = by_rule(cf.due(o, kst(2026, 10, 2)))["D4"]

        assert (D(2026, 10, 8), None, 3, "C-1") == (
            d4.last_day,
            d4.system_action,
            d4.penalty_points,
            d4.claim_id,
        )

    @pytest.mark.parametrize(
        ("now", "overdue"),
        [
            pytest.param(kst(2026, 10, 8, 23, 59), False, id="last-minute"),
            pytest.param(midnight(D(2026, 10, 9)), True, id="at-the-deadline"),
        ],
    )
    def test_overdue_around_the_deadline(self, now: dt.datetime, overdue: bool) -> None:
        """Handled by the end of the 3rd business day: no penalty; later: overdue."""
        c = claim(CT.RETURN, CS.REQUESTED, S.DELIVERED, kst(2026, 10, 2))
        o = op(S.DELIVERED, open_claim=c)

        assert overdue == by_rule(cf.due(o, now))["D4"].overdue

    def test_not_once_the_seller_acted(self) -> None:
        """An approved claim is no longer untouched: no D4."""
        o = op(
            S.RETURN_COLLECTING,
            open_claim=claim(CT.RETURN, CS.APPROVED, S.DELIVERED, kst(2026, 10, 2)),
        )

        assert () == cf.due(o, kst(2026, 10, 2))


FEB_27 = D(2026, 2, 27)


class TestD5Delay:
    """D5 (F2): order.delay only within 3 business days of payment, to at most 14 days out."""

    def preparing(self, **kw: Any) -> cf.OrderProduct:
        """A Toss order product in 상품준비중 paid Thu 12 Feb 2026 (window ends Fri 20 Feb)."""
        return op(S.PREPARING, paid_at=kst(2026, 2, 12), **kw)

    @pytest.mark.parametrize(
        ("now", "allowed"),
        [
            pytest.param(kst(2026, 2, 13), True, id="next-day"),
            pytest.param(kst(2026, 2, 20, 23, 59), True, id="last-minute-after-seollal"),
            pytest.param(midnight(D(2026, 2, 21)), False, id="window-closed"),
        ],
    )
    def test_window_after_payment(self, now: dt.datetime, allowed: bool) -> None:
        """Paid Thu 12 Feb: the 3rd business day is Fri 20 Feb (설날 skipped)."""
        with cf.decide_as_of(now):
            d = cf.check(self.preparing(), A.ORDER_DELAY, "SELLER", shipping_deadline=FEB_27)

        assert (allowed, [] if allowed else ["DELAY_WINDOW_CLOSED"]) == (
            d.allowed,
            [r.code for r in d.reasons if not d.allowed],
        )

    def test_refusal_names_the_rule(self) -> None:
        """The refusal cites F2 and says D5 in both languages."""
        with cf.decide_as_of(kst(2026, 2, 23)):
            d = cf.check(self.preparing(), A.ORDER_DELAY, "SELLER", shipping_deadline=FEB_27)

        r = d.reasons[0]
        assert ("F2", True, True) == (r.rule_id, "[D5]" in r.message_en, "[D5]" in r.message_ko)

    def test_shop_holidays_widen_the_window(self) -> None:
        """A shop holiday on Thu 19 Feb moves the window's end to Mon 23 Feb."""
        shop = cf.BusinessCalendar(shop_holidays={D(2026, 2, 19)})
        with cf.decide_as_of(kst(2026, 2, 23, 18), calendar=shop):
            d = cf.check(self.preparing(), A.ORDER_DELAY, "SELLER", shipping_deadline=FEB_27)

        assert d.allowed

    @pytest.mark.parametrize(
        ("deadline", "allowed"),
        [
            pytest.param(D(2026, 2, 13), False, id="today"),
            pytest.param(D(2026, 2, 14), True, id="tomorrow"),
            pytest.param(D(2026, 2, 27), True, id="14-days"),
            pytest.param(D(2026, 2, 28), False, id="15-days"),
        ],
    )
    def test_new_deadline_at_most_14_days_out(self, deadline: dt.date, allowed: bool) -> None:
        """As of Fri 13 Feb the new deadline may be 14 Feb to 27 Feb; else the field is named."""
        with cf.decide_as_of(kst(2026, 2, 13)):
            d = cf.check(self.preparing(), "order.delay", "SELLER", shipping_deadline=deadline)

        assert (allowed, None if allowed else "shipping_deadline") == (
            d.allowed,
            None if d.allowed else d.reasons[0].field,
        )

    def test_without_payment_time_no_window(self) -> None:
        """Without paid_at the window cannot be known and is not checked (decided)."""
        with cf.decide_as_of(kst(2026, 6, 1)):
            d = cf.check(op(S.PREPARING), "order.delay", "SELLER", shipping_deadline=D(2026, 6, 5))

        assert d.allowed

    def test_once_per_order_product(self) -> None:
        """After a delay, the order product is 발송지연 and may not be delayed again."""
        with cf.decide_as_of(kst(2026, 2, 13)):
            delayed = cf.apply(
                self.preparing(), "order.delay", "SELLER", shipping_deadline=D(2026, 2, 25)
            ).order_product
            again = cf.check(delayed, "order.delay", "SELLER", shipping_deadline=D(2026, 2, 26))

        assert (S.DELAYED, D(2026, 2, 25), False, "WRONG_STATUS") == (
            delayed.status,
            delayed.shipping_deadline,
            again.allowed,
            again.reasons[0].code,
        )

    def test_delay_sets_the_shipping_deadline_due(self) -> None:
        """The new deadline is the D3 shipping deadline from then on."""
        with cf.decide_as_of(kst(2026, 2, 13)):
            delayed = cf.apply(
                self.preparing(), "order.delay", "SELLER", shipping_deadline=D(2026, 2, 25)
            )

        d3 = by_rule(cf.due(delayed.order_product, kst(2026, 2, 13)))["D3"]
        assert (D(2026, 2, 25), kst(2026, 2, 13)) == (d3.last_day, delayed.event.at)

    def test_apply_decides_as_check_does(self) -> None:
        """apply refuses what check refuses, as of the same moment."""
        with cf.decide_as_of(kst(2026, 2, 23)), pytest.raises(cf.ActionRefusedError) as e:
            cf.apply(self.preparing(), A.ORDER_DELAY, "SELLER", shipping_deadline=FEB_27)

        assert ("DELAY_WINDOW_CLOSED",) == e.value.decision.codes


class TestDue:
    @pytest.mark.parametrize("mp", ["imweb", "x2bee"])
    def test_no_timers_elsewhere(self, mp: str) -> None:
        """imweb and x2bee document no timers: nothing is due, whatever the moments."""
        o = op(
            S.DELIVERED, mp, paid_at=kst(2026, 2, 1), delivered_at=kst(2026, 2, 3),
            open_claim=claim(CT.RETURN, CS.REQUESTED, S.DELIVERED, kst(2026, 2, 4)),
        )  # fmt: skip

        assert () == cf.due(o, kst(2026, 3, 1))

    def test_unknown_moments_are_left_out(self) -> None:
        """Without paid_at, delivered_at or requested_at there is nothing to count from."""
        assert [(), ()] == [
            cf.due(op(S.PREPARING), kst(2026, 2, 1)),
            cf.due(op(S.DELIVERED), kst(2026, 2, 1)),
        ]

    def test_soonest_first_and_json_ready(self) -> None:
        """Deadlines come soonest first, and as_dict survives a JSON round trip exactly."""
        o = op(
            S.PREPARING, paid_at=kst(2026, 2, 12),
            open_claim=claim(CT.CANCEL, CS.REQUESTED, S.PREPARING, kst(2026, 2, 13)),
        )  # fmt: skip

        out = cf.due(o, kst(2026, 2, 24))

        assert ["D3", "D4", "D1"] == [d.rule_id for d in out]
        assert {
            "rule_id": "D4",
            "kind": "UNTOUCHED_CLAIM",
            "label": "클레임 처리 기한",
            "since": "2026-02-13T10:00:00+09:00",
            "last_day": "2026-02-23",
            "due_at": "2026-02-24T00:00:00+09:00",
            "overdue": True,
            "system_action": None,
            "penalty_points": 3,
            "claim_id": "C-1",
            "source": "spec/marketplaces.md §5.1",
            "tag": "client",
        } == json.loads(json.dumps(out[1].as_dict(), ensure_ascii=False))

    @pytest.mark.parametrize(
        ("args", "kwargs", "field"),
        [
            pytest.param((None, kst(2026, 1, 1)), {}, "order_product", id="no-order-product"),
            pytest.param((op(), dt.datetime(2026, 1, 1)), {}, "now", id="naive-now"),
            pytest.param((op(), "today"), {}, "now", id="string-now"),
            pytest.param((op(), D(2026, 1, 1)), {}, "now", id="date-now"),
            pytest.param((op(), kst(2026, 1, 1)), {"calendar": "KR"}, "calendar", id="calendar"),
        ],
    )
    def test_bad_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any], field: str) -> None:
        """A bad argument is an InvalidInputError naming it."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.due(*args, **kwargs)

        assert field == e.value.field


class TestMoments:
    """Order products and claims remember when things happened; naive datetimes are refused."""

    @pytest.mark.parametrize("name", ["paid_at", "delivered_at"])
    @pytest.mark.parametrize(
        "value",
        [dt.datetime(2026, 1, 1), "2026-01-01T00:00:00+09:00", 1_767_193_200, D(2026, 1, 1)],
        ids=["naive", "string", "int", "date"],
    )
    def test_order_product_moments_must_be_aware(self, name: str, value: object) -> None:
        """paid_at/delivered_at take aware datetimes only: else a typed error naming the field."""
        with pytest.raises(cf.InvalidInputError) as e:
            op(**{name: value})

        assert name == e.value.field

    def test_claim_requested_at_must_be_aware(self) -> None:
        """A claim's requested_at must be aware."""
        with pytest.raises(cf.InvalidInputError) as e:
            claim(CT.RETURN, CS.REQUESTED, S.DELIVERED, dt.datetime(2026, 1, 1))

        assert "requested_at" == e.value.field

    @pytest.mark.parametrize("value", [kst(2026, 2, 27), "2026-02-27"], ids=["datetime", "str"])
    def test_shipping_deadline_is_a_date(self, value: object) -> None:
        """shipping_deadline is a date, not a datetime or a string."""
        with pytest.raises(cf.InvalidInputError) as e:
            op(shipping_deadline=value)

        assert "shipping_deadline" == e.value.field

    def test_claim_recorded_closed_at_once_is_stamped(self) -> None:
        """x2bee's storefront cancel (closed at once) still remembers when it was asked."""
        at = kst(2026, 3, 3)

        new = cf.apply(op(mp="x2bee"), "cancel.request", "BUYER", reason="변심", at=at)

        assert [at] == [c.requested_at for c in new.order_product.closed_claims]

    def test_converted_claim_is_stamped_and_the_old_one_kept(self) -> None:
        """imweb return.to_exchange: the new exchange request is stamped, the return keeps its."""
        first, then = kst(2026, 3, 3), kst(2026, 3, 4)
        o = cf.apply(
            op(S.DELIVERED, "imweb"), "return.request", "BUYER", reason_code="INTENT_CHANGED",
            at=first,
        ).order_product  # fmt: skip

        new = cf.apply(o, "return.to_exchange", "SELLER", reason="교환 희망", at=then).order_product

        assert ([first], then) == (
            [c.requested_at for c in new.closed_claims],
            new.open_claim.requested_at,  # type: ignore[union-attr]
        )

    def test_moving_a_claim_keeps_its_request_time(self) -> None:
        """Approving a return keeps the claim's requested_at."""
        at = kst(2026, 3, 3)
        o = cf.apply(op(S.DELIVERED), "return.request", "BUYER", reason="파손", at=at).order_product

        new = cf.apply(o, "return.approve", "SELLER", at=kst(2026, 3, 5)).order_product

        assert at == new.open_claim.requested_at  # type: ignore[union-attr]


# --- properties -------------------------------------------------------------------------------

days = st.dates(D(2020, 1, 1), D(2035, 12, 31))
moments = st.datetimes(
    dt.datetime(2020, 1, 1), dt.datetime(2035, 12, 31), timezones=st.sampled_from([SEOUL, dt.UTC])
)
shop_days = st.frozensets(st.dates(D(2020, 1, 1), D(2035, 12, 31)), max_size=20)


class TestProperties:
    @given(days, st.integers(0, 30), shop_days)
    def test_add_business_days_counts_exactly_n(
        self, start: dt.date, n: int, shop: frozenset[dt.date]
    ) -> None:
        """The result is a business day with exactly n business days in (start, result]."""
        cal = cf.BusinessCalendar(shop_holidays=shop)

        end = cal.add_business_days(start, n)

        between = [
            start + dt.timedelta(days=i)
            for i in range(1, (end - start).days + 1)
            if cal.is_business_day(start + dt.timedelta(days=i))
        ]
        assert (True, n if n else len(between)) == (cal.is_business_day(end), len(between))
        if n == 0:  # no business day is skipped before it
            assert [] == [
                start + dt.timedelta(days=i)
                for i in range((end - start).days)
                if cal.is_business_day(start + dt.timedelta(days=i))
            ]

    @given(days, st.integers(0, 20), shop_days)
    def test_more_holidays_never_make_it_sooner(
        self, start: dt.date, n: int, shop: frozenset[dt.date]
    ) -> None:
        """Adding shop holidays can only push a deadline later."""
        assert CAL.add_business_days(start, n) <= cf.BusinessCalendar(
            shop_holidays=shop
        ).add_business_days(start, n)

    @given(
        st.sampled_from(list(cf.Marketplace)),
        st.sampled_from([S.PAID, S.PREPARING, S.DELAYED, S.DELIVERED, S.SHIPPING, S.EXCHANGED]),
        st.none() | moments,
        st.none() | moments,
        st.none() | moments,
        st.sampled_from([CS.REQUESTED, CS.APPROVED, CS.HELD]),
        st.sampled_from(list(CT)),
        moments,
        st.integers(0, 14),
    )
    def test_due_is_consistent(  # noqa: PLR0917 - one argument per drawn value
        self,
        mp: cf.Marketplace,
        status: cf.Status,
        paid: dt.datetime | None,
        delivered: dt.datetime | None,
        requested: dt.datetime | None,
        cstatus: cf.ClaimStatus,
        ctype: cf.ClaimType,
        now: dt.datetime,
        prep: int,
    ) -> None:
        """Soonest first; due after it started; overdue iff now >= due_at; Toss only; JSON-ready."""
        c = cf.Claim("C-9", ctype, cstatus, status, requested_at=requested) if requested else None
        o = op(status, mp, paid_at=paid, delivered_at=delivered, open_claim=c)

        out = cf.due(o, now, preparation_days=prep)

        if mp is not cf.Marketplace.TOSS:
            assert () == out
        assert sorted(out, key=lambda d: d.due_at) == list(out)
        for d in out:
            assert d.since is None or d.since < d.due_at
            assert (now >= d.due_at) == d.overdue
            assert midnight(d.last_day + dt.timedelta(days=1)) == d.due_at
            assert d.as_dict() == json.loads(json.dumps(d.as_dict()))

    @given(moments, st.integers(0, 10 * 24 * 60))
    def test_delay_window_only_closes(self, paid: dt.datetime, minutes: int) -> None:
        """D5: if a delay is allowed at some moment, it is allowed at every earlier one."""
        o = op(S.PREPARING, paid_at=paid)

        def allowed(now: dt.datetime) -> bool:
            with cf.decide_as_of(now):
                return cf.check(
                    o, "order.delay", "SELLER",
                    shipping_deadline=now.astimezone(SEOUL).date() + dt.timedelta(days=3),
                ).allowed  # fmt: skip

        later = paid + dt.timedelta(minutes=minutes)
        assert not allowed(later) or allowed(paid + dt.timedelta(minutes=minutes // 2))

    def test_no_second_delay_on_any_path(self) -> None:
        """Exhaustively over Toss's allowed moves: after order.delay it is never allowed again."""
        start = op(S.PAID, paid_at=kst(2026, 2, 12))
        seen: set[tuple[object, ...]] = set()
        frontier: list[tuple[cf.OrderProduct, bool]] = [(start, False)]
        again = []
        with cf.decide_as_of(kst(2026, 2, 13)):
            while frontier:
                cur, delayed = frontier.pop()
                for actor in cf.Actor:
                    for action in cf.allowed_actions(cur, actor):
                        if action is A.ORDER_DELAY and delayed:
                            again.append(cur.status)
                        params = example_params(cur, action)
                        new = cf.apply(cur, action, actor, **params).order_product
                        key = (new.status, new.open_claim and attrs.astuple(new.open_claim)[1:4])
                        after = delayed or action is A.ORDER_DELAY
                        if (key, after) not in seen:
                            seen.add((key, after))
                            frontier.append((new, after))
        assert ([], True) == (again, any(after for _, after in seen))


class TestWithoutTheHolidaysExtra:
    def test_deciding_as_of_a_moment_needs_no_holidays_until_a_time_rule_asks(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the holidays package (the time extra), decide_as_of still decides every action
        no time rule reads (the CLI's check always decides inside it); only a rule that counts
        business days (D5's delay window) asks for the extra, as a typed MissingExtraError."""

        def missing(year: int) -> frozenset[dt.date]:
            raise cf.MissingExtraError("no holidays", extra="time")

        monkeypatch.setattr(_time, "_korean_public_holidays", missing)
        op = cf.OrderProduct("OP-1", "toss", "DELIVERED", "SKU", 10_000)
        with _time.decide_as_of(dt.datetime(2026, 3, 2, 10, tzinfo=SEOUL)):
            decision = cf.check(op, "return.request", "BUYER", reason="변심")
            paid = cf.OrderProduct(
                "OP-2",
                "toss",
                "PREPARING",
                "SKU",
                10_000,
                paid_at=dt.datetime(2026, 3, 2, 9, tzinfo=SEOUL),
            )
            with pytest.raises(cf.MissingExtraError) as e:
                cf.check(paid, "order.delay", "SELLER", shipping_deadline=dt.date(2026, 3, 6))
        assert (True, "time") == (decision.allowed, e.value.extra)
