"""Business days and deadlines: what the marketplace does by itself, and by when (rules.md D1-D5).

Toss Shopping runs timers the seller does not see (integration notes, tag *client*,
``../shared/spec/marketplaces.md`` §5.1): a buyer's cancel request left 7 business days is approved
by Toss (D1), a delivered order product is confirmed 7 days after delivery (D2), a shipment is due
``preparationDays`` business days after payment (D3), a claim left untouched 3 business days costs
3 penalty points (D4), and a shipment may be delayed only once, within 3 business days of payment,
to at most 14 days out (D5). imweb and x2bee document no such timers.

Business days skip weekends, Korean public holidays (from the ``holidays`` package: the ``time``
extra) and the shop's own holidays (Toss ``GET /merchants/holidays``: the adapter fills
:attr:`BusinessCalendar.shop_holidays`). Everything is counted in Seoul days (Asia/Seoul); a naive
datetime is refused, since it could mean Seoul or UTC.

How a deadline is counted (decided; the sources give only the number of days): the clock starts on
the Seoul day something happened; *n* business days later is the *n*-th business day after that day
(0 days: that day, or the next business day if it is none); the deadline is the **end** of that
day (24:00 Seoul), so an action any time on the last day is in time.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from typing import Any

import attrs

from ._guides import GUIDES
from ._values import Claim, OrderProduct, aware
from ._vocab import SEOUL, Action, ClaimStatus, ClaimType, Status
from .exceptions import InvalidInputError, MissingExtraError

__all__ = [
    "BusinessCalendar",
    "Deadline",
    "DeadlineKind",
    "decide_as_of",
    "due",
]


# rules.md D1-D5 (client: marketplaces.md §5.1)
AUTO_APPROVAL_BUSINESS_DAYS = 7  # D1
AUTO_CONFIRMATION_DAYS = 7  # D2 (calendar days)
DEFAULT_PREPARATION_DAYS = 3  # D3 preparationDays default; 0-14
MAX_PREPARATION_DAYS = 14
UNTOUCHED_CLAIM_BUSINESS_DAYS = 3  # D4
DELAY_WINDOW_BUSINESS_DAYS = 3  # D5: a delay only within 3 business days of payment
MAX_DELAY_DAYS = 14  # D5: the new shipping deadline at most 14 days out
SHIPPING_PENALTY_POINTS = 1  # D3, per order product
UNTOUCHED_CLAIM_PENALTY_POINTS = 3  # D4

_SOURCE = "spec/marketplaces.md §5.1"


# --- the calendar -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _korean_public_holidays(year: int) -> frozenset[dt.date]:
    """Korea's public holidays of *year*, substitutes included (the ``holidays`` package)."""
    try:
        import holidays  # noqa: PLC0415 - optional extra, imported when first needed
    except ImportError:
        msg = (
            "business days need Korean public holidays from the 'holidays' package: "
            "pip install 'claimflow[time]'"
        )
        raise MissingExtraError(msg, extra="time") from None
    return frozenset(holidays.country_holidays("KR", years=year))


def _to_dates(value: object) -> frozenset[dt.date]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        msg = f"shop_holidays: must be a collection of dates, got {value!r}"
        raise InvalidInputError(msg, field="shop_holidays")
    days = tuple(value)
    for d in days:
        if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
            msg = f"shop_holidays: {d!r} is not a date"
            raise InvalidInputError(msg, field="shop_holidays")
    return frozenset(days)


@attrs.frozen
class BusinessCalendar:
    """Which days are business days: not a weekend, a Korean public holiday or a shop holiday.

    ``shop_holidays`` are the shop's own days off; for Toss the adapter reads them from
    ``GET /merchants/holidays`` (any collection of :class:`datetime.date`). Korean public holidays
    come from the ``holidays`` package (``pip install 'claimflow[time]'``); without it, making a
    calendar raises :class:`~claimflow.exceptions.MissingExtraError` naming the extra.
    """

    shop_holidays: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_to_dates)

    def __attrs_post_init__(self) -> None:
        _korean_public_holidays(dt.datetime.now(SEOUL).year)  # fail now, not on first use

    def is_business_day(self, day: dt.date) -> bool:
        """Whether *day* is a business day (a weekday, no public holiday, no shop holiday)."""
        _date(day, "day")
        return (
            day.weekday() < 5  # Saturday 5, Sunday 6
            and day not in _korean_public_holidays(day.year)
            and day not in self.shop_holidays
        )

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """The *n*-th business day after *day*; for ``n == 0`` *day* itself or the next one."""
        _date(day, "day")
        if type(n) is not int or n < 0:
            msg = f"n: must be a non-negative integer, got {n!r}"
            raise InvalidInputError(msg, field="n")
        one = dt.timedelta(days=1)
        try:
            if n == 0:
                while not self.is_business_day(day):
                    day += one
                return day
            while n:
                day += one
                n -= self.is_business_day(day)
        except OverflowError:
            msg = "day: too close to the end of the calendar (year 9999) to count business days"
            raise InvalidInputError(msg, field="day") from None
        return day


@lru_cache(maxsize=1)
def korean_calendar() -> BusinessCalendar:
    """The calendar of Korean public holidays alone (no shop holidays)."""
    return BusinessCalendar()


def _date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        msg = f"{field}: must be a date (not a datetime), got {value!r}"
        raise InvalidInputError(msg, field=field)
    return value


def _calendar(value: object) -> BusinessCalendar:
    if value is None:
        return korean_calendar()
    if not isinstance(value, BusinessCalendar):
        msg = f"calendar: must be a BusinessCalendar or None, got {value!r}"
        raise InvalidInputError(msg, field="calendar")
    return value


def _end_of(day: dt.date) -> dt.datetime:
    """24:00 Seoul at the end of *day*."""
    try:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SEOUL)
    except OverflowError:
        msg = f"{day}: too close to the end of the calendar (year 9999) for a deadline"
        raise InvalidInputError(msg, field="day") from None


def _seoul_day(moment: dt.datetime, field: str) -> dt.date:
    try:
        return moment.astimezone(SEOUL).date()
    except OverflowError:  # a moment at the very edge of datetime's range
        msg = f"{field}: {moment!r} cannot be read as a day in Seoul"
        raise InvalidInputError(msg, field=field) from None


# --- the moment and calendar check() and apply() decide with (D5) ----------------------------


@attrs.frozen
class _Context:
    now: dt.datetime | None
    calendar: BusinessCalendar | None


_CONTEXT: contextvars.ContextVar[_Context | None] = contextvars.ContextVar(
    "claimflow_decision_context", default=None
)


@contextlib.contextmanager
def decide_as_of(
    now: dt.datetime | None = None, *, calendar: BusinessCalendar | None = None
) -> Iterator[None]:
    """Within the block, :func:`claimflow.check` and :func:`claimflow.apply` decide as of *now*
    (an aware datetime; default the clock) with *calendar* (default Korean public holidays only).

    Only the time rules read them: ``order.delay``'s window of 3 business days after
    ``paid_at`` and its new deadline (after today, at most 14 days out; rules.md D5). Pass the
    shop's holidays here so that the window counts them::

        with decide_as_of(calendar=BusinessCalendar(shop_holidays=days_off)):
            decision = check(op, "order.delay", "SELLER", shipping_deadline=day)

    :func:`claimflow.apply` also stamps its event with *now* when it is not given ``at``.
    """
    # no calendar: decision_calendar() makes Korea's when a rule first asks (the holidays extra
    # is needed only then, not to decide actions no time rule reads)
    ctx = _Context(
        None if now is None else aware(now, "now"),
        None if calendar is None else _calendar(calendar),
    )
    token = _CONTEXT.set(ctx)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def decision_now(tz: dt.tzinfo = SEOUL) -> dt.datetime:
    """The moment decisions are made at: :func:`decide_as_of`'s, else the clock (in *tz*)."""
    ctx = _CONTEXT.get()
    if ctx is not None and ctx.now is not None:
        return ctx.now
    return dt.datetime.now(tz)


def decision_today() -> dt.date:
    """The Seoul day of :func:`decision_now`."""
    return _seoul_day(decision_now(), "now")


def decision_calendar() -> BusinessCalendar:
    """The calendar decisions count business days with (:func:`decide_as_of`'s, else Korea's)."""
    ctx = _CONTEXT.get()
    if ctx is not None and ctx.calendar is not None:
        return ctx.calendar
    return korean_calendar()


def delay_window_closes(paid_at: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """D5: when ``order.delay`` stops being possible: end of the 3rd business day after payment."""
    day = calendar.add_business_days(_seoul_day(paid_at, "paid_at"), DELAY_WINDOW_BUSINESS_DAYS)
    return _end_of(day)


def delay_window_open(op: OrderProduct) -> bool:
    """D5 guard of ``order.delay`` (F2): within 3 business days of payment.

    Without ``paid_at`` the window cannot be known and is not checked (decided: the caller did not
    say when the order was paid). "Once per order product" holds by the rules themselves: F2
    leaves 상품준비중 for 발송지연 and no rule leads back to 상품준비중.
    """
    if op.paid_at is None:
        return True
    return decision_now() < delay_window_closes(op.paid_at, decision_calendar())


def latest_delay_deadline() -> dt.date:
    """D5: the latest new shipping deadline ``order.delay`` accepts now (14 days out)."""
    today = decision_today()
    try:
        return today + dt.timedelta(days=MAX_DELAY_DAYS)
    except OverflowError:  # a decision moment days before the year 10000
        return dt.date.max


# --- what apply() remembers -------------------------------------------------------------------


def stamped(
    before: OrderProduct, after: OrderProduct, action: Action, at: dt.datetime, params: object
) -> OrderProduct:
    """*after* with the moments *action* at *at* makes worth remembering.

    ``order.deliver`` sets ``delivered_at``; ``order.delay`` sets ``shipping_deadline`` to the new
    deadline; a claim the action opens (or records closed at once) gets ``requested_at``.
    """
    changes: dict[str, Any] = {}
    if action is Action.ORDER_DELIVER:
        changes["delivered_at"] = at
    elif action is Action.ORDER_DELAY:
        changes["shipping_deadline"] = dict(params)["shipping_deadline"]  # type: ignore[call-overload]
    old_ids = {c.id for c in before.closed_claims}
    if before.open_claim is not None:
        old_ids.add(before.open_claim.id)

    def stamp(c: Claim) -> Claim:
        return c if c.id in old_ids else attrs.evolve(c, requested_at=at)

    if after.open_claim is not None and after.open_claim.id not in old_ids:
        changes["open_claim"] = stamp(after.open_claim)
    new_closed = after.closed_claims[len(before.closed_claims) :]
    if any(c.id not in old_ids for c in new_closed):
        changes["closed_claims"] = (
            *after.closed_claims[: len(before.closed_claims)],
            *map(stamp, new_closed),
        )
    return attrs.evolve(after, **changes) if changes else after


# --- what is due ------------------------------------------------------------------------------


class DeadlineKind(StrEnum):
    """What a :class:`Deadline` is about."""

    AUTO_APPROVAL = "AUTO_APPROVAL"  # D1: Toss approves the buyer's cancel request itself
    AUTO_CONFIRMATION = "AUTO_CONFIRMATION"  # D2: Toss confirms the purchase itself
    SHIPPING = "SHIPPING"  # D3: ship by then, or 1 penalty point
    UNTOUCHED_CLAIM = "UNTOUCHED_CLAIM"  # D4: handle the claim by then, or 3 penalty points

    @property
    def label(self) -> str:
        """The Korean name operators see."""
        return _KIND_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name (``SHIPPING`` is a ship-by deadline, not the status 배송중)."""
        return _KIND_LABELS_EN[self]


_KIND_LABELS = {
    DeadlineKind.AUTO_APPROVAL: "취소 요청 자동 승인",
    DeadlineKind.AUTO_CONFIRMATION: "자동 구매확정",
    DeadlineKind.SHIPPING: "발송 기한",
    DeadlineKind.UNTOUCHED_CLAIM: "클레임 처리 기한",
}
_KIND_LABELS_EN = {
    DeadlineKind.AUTO_APPROVAL: "cancel request auto-approval",
    DeadlineKind.AUTO_CONFIRMATION: "automatic purchase confirmation",
    DeadlineKind.SHIPPING: "ship-by deadline",
    DeadlineKind.UNTOUCHED_CLAIM: "claim handling deadline",
}


@attrs.frozen
class Deadline:
    """One thing due on an order product: by when, what happens then, what missing it costs.

    ``due_at`` is the end of ``last_day`` (24:00 Seoul): act before it. ``system_action`` is what
    the marketplace does by itself at ``due_at`` (SYSTEM ``cancel.approve`` for D1,
    ``order.confirm`` for D2), None when it only counts penalty points. ``since`` is when the clock
    started (payment, delivery, the request; None for a shipping deadline known without the
    payment time). :meth:`as_dict` gives a JSON-ready form.
    """

    rule_id: str
    kind: DeadlineKind
    since: dt.datetime | None
    last_day: dt.date
    due_at: dt.datetime
    overdue: bool
    system_action: Action | None = None
    penalty_points: int = 0
    claim_id: str | None = None
    source: str = _SOURCE
    tag: str = "client"

    def as_dict(self) -> dict[str, object]:
        """Strings, numbers, booleans and None only: for JSON (``claimflow due``)."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind.value,
            "label": self.kind.label,
            "since": None if self.since is None else self.since.isoformat(),
            "last_day": self.last_day.isoformat(),
            "due_at": self.due_at.isoformat(),
            "overdue": self.overdue,
            "system_action": None if self.system_action is None else self.system_action.value,
            "penalty_points": self.penalty_points,
            "claim_id": self.claim_id,
            "source": self.source,
            "tag": self.tag,
        }


_UNSHIPPED = frozenset({Status.PAID, Status.PREPARING, Status.DELAYED})


def due(
    order_product: OrderProduct,
    now: dt.datetime,
    *,
    calendar: BusinessCalendar | None = None,
    preparation_days: int = DEFAULT_PREPARATION_DAYS,
) -> tuple[Deadline, ...]:
    """What is due on *order_product* as of *now*, and by when (rules.md D1-D4), soonest first.

    - **D1** an open CANCEL claim still ``REQUESTED``: Toss approves it by itself (SYSTEM
      ``cancel.approve``) at the end of the 7th business day after ``requested_at``.
    - **D2** ``DELIVERED`` with no open claim: Toss confirms the purchase (SYSTEM
      ``order.confirm``) at the end of the 7th day after ``delivered_at``.
    - **D3** not shipped yet (결제완료, 상품준비중, 발송지연): ship by ``shipping_deadline`` when
      known (Toss ``shippingDeadlineAt``, or the day ``order.delay`` set), else by
      *preparation_days* business days (0-14, the shop's ``preparationDays``, default 3) after
      ``paid_at``; missing it costs 1 penalty point.
    - **D4** an open claim still ``REQUESTED`` (the seller has not acted on it; decided reading
      of "untouched"): handle it within 3 business days of ``requested_at``, or 3 penalty points.

    A deadline whose starting moment the order product does not carry (``paid_at``,
    ``delivered_at``, the claim's ``requested_at``) is left out. imweb and x2bee document no such
    timers: their answer is ``()``. *calendar* defaults to Korean public holidays alone; pass
    ``BusinessCalendar(shop_holidays=...)`` for the shop's days off. *now* must be an aware
    datetime. ``overdue`` says whether *now* is past ``due_at``; :meth:`Deadline.as_dict` makes
    each one JSON-ready, e.g. ``[d.as_dict() for d in due(op, now)]``.

    Raises :class:`~claimflow.exceptions.InvalidInputError` (naming the argument) for a
    non-order-product, a naive or non-datetime *now*, a bad calendar or preparation days, and
    :class:`~claimflow.exceptions.MissingExtraError` without the ``time`` extra.
    """
    if not isinstance(order_product, OrderProduct):
        msg = f"order_product: must be an OrderProduct, got {order_product!r}"
        raise InvalidInputError(msg, field="order_product")
    now = aware(now, "now")
    cal = _calendar(calendar)
    if type(preparation_days) is not int or not 0 <= preparation_days <= MAX_PREPARATION_DAYS:
        msg = (
            f"preparation_days: must be an integer from 0 to {MAX_PREPARATION_DAYS}, "
            f"got {preparation_days!r}"
        )
        raise InvalidInputError(msg, field="preparation_days")
    op = order_product
    if not GUIDES[op.marketplace].timers:  # D1-D5 are the timers of the marketplaces that run them
        return ()
    out: list[Deadline] = []

    def add(
        rule_id: str, kind: DeadlineKind, since: dt.datetime | None, last: dt.date, **kw: Any
    ) -> None:
        due_at = _end_of(last)
        out.append(Deadline(rule_id, kind, since, last, due_at, now >= due_at, **kw))

    claim = op.open_claim
    if claim is not None and claim.status is ClaimStatus.REQUESTED and claim.requested_at:
        asked = claim.requested_at
        asked_day = _seoul_day(asked, "requested_at")
        if claim.type is ClaimType.CANCEL:
            last = cal.add_business_days(asked_day, AUTO_APPROVAL_BUSINESS_DAYS)
            add("D1", DeadlineKind.AUTO_APPROVAL, asked, last,
                system_action=Action.CANCEL_APPROVE, claim_id=claim.id)  # fmt: skip
        last = cal.add_business_days(asked_day, UNTOUCHED_CLAIM_BUSINESS_DAYS)
        add("D4", DeadlineKind.UNTOUCHED_CLAIM, asked, last,
            penalty_points=UNTOUCHED_CLAIM_PENALTY_POINTS, claim_id=claim.id)  # fmt: skip
    if op.status is Status.DELIVERED and claim is None and op.delivered_at is not None:
        try:
            last = _seoul_day(op.delivered_at, "delivered_at") + dt.timedelta(
                days=AUTO_CONFIRMATION_DAYS
            )
        except OverflowError:
            msg = "delivered_at: too close to the end of the calendar for a deadline"
            raise InvalidInputError(msg, field="delivered_at") from None
        add("D2", DeadlineKind.AUTO_CONFIRMATION, op.delivered_at, last,
            system_action=Action.ORDER_CONFIRM)  # fmt: skip
    if op.status in _UNSHIPPED and (op.shipping_deadline or op.paid_at) is not None:
        if op.shipping_deadline is not None:
            last = op.shipping_deadline
        else:
            assert op.paid_at is not None
            last = cal.add_business_days(_seoul_day(op.paid_at, "paid_at"), preparation_days)
        add("D3", DeadlineKind.SHIPPING, op.paid_at, last,
            penalty_points=SHIPPING_PENALTY_POINTS)  # fmt: skip
    out.sort(key=lambda d: (d.due_at, d.rule_id))
    return tuple(out)
