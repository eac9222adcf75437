"""The Korean operations guide (docs/ops-guide.ko.md), generated from the rules the engine runs.

The prose around the tables is fixed text; every table row comes from the same intermediate form
the diagrams are drawn from (:func:`claimflow._diagrams.rule_rows`), so the guide cannot say
something the code does not do. Conditions are read from the boxes a rule leaves and from the
guards' meaning (never from their refusal codes); particles follow the word
(:func:`claimflow._korean.attach`); notes are Korean (:data:`NOTES_KO`); every rule cites the
public page it comes from and its seed file.
"""

from __future__ import annotations

from . import _time
from ._diagrams import MARKER, RuleRow, Source, rule_rows
from ._guides import GUIDES
from ._introspect import MoneyRuleInfo, money_rules, return_shipping_ko
from ._korean import attach
from ._machine import COMPILED
from ._vocab import Action, Actor, EffectKind, Marketplace, Status, Tag

__all__ = ["render"]

MEANING_KO = {
    Status.PAID: "결제가 끝났고 아직 상품 준비 전입니다.",
    Status.PREPARING: "판매자가 발송을 준비하고 있습니다.",
    Status.DELAYED: "발송이 늦어진다고 구매자에게 알렸습니다 (토스쇼핑만).",
    Status.SHIPPING: "택배사에 넘겨져 배송 중입니다.",
    Status.DELIVERED: "구매자에게 배송되었습니다.",
    Status.CANCELED: "취소되고 환불되었습니다. 끝난 상태입니다.",
    Status.RETURN_COLLECTING: "반품이 승인되어 회수(수거) 중입니다.",
    Status.RETURN_COLLECTED: (
        "반품 상품을 판매자가 돌려받았습니다. 완료(환불) 또는 반려를 결정합니다."
    ),
    Status.RETURNED: "반품이 끝나고 환불되었습니다. 끝난 상태입니다.",
    Status.EXCHANGE_COLLECTING: "교환이 승인되어 회수 중입니다.",
    Status.EXCHANGE_COLLECTED: "교환 상품을 돌려받았습니다. 재배송 또는 반려를 결정합니다.",
    Status.REDELIVERING: "교환 상품을 다시 보냈습니다.",
    Status.EXCHANGED: "교환이 끝났습니다. 다시 교환하거나 반품할 수 있습니다.",
    Status.CONFIRMED: "구매가 확정되었습니다. 이후 클레임은 받지 않습니다.",
}

#: The rules' notes (English in the rule tables) as operators read them. Keyed by the note's text;
#: a note without an entry is shown in English, marked, until it is translated here.
NOTES_KO = {
    "imweb place; Toss PREPARING_PRODUCT": (
        "아임웹 place(상품준비), 토스쇼핑 PREPARING_PRODUCT에 해당합니다."
    ),
    "Toss DELAY_SHIPPING with shippingDeadlineAt; D5: once (no way back to PREPARING), within 3 "
    "business days of payment, at most 14 days out": (
        "토스쇼핑 DELAY_SHIPPING: 새 발송 기한(shippingDeadlineAt)을 함께 보냅니다. 발송 지연은 "
        "주문상품마다 한 번뿐이고(상품준비중으로 돌아가지 않습니다), 결제 후 3영업일 안에만 할 수 "
        "있으며, 새 기한은 오늘부터 14일 이내여야 합니다 (D5)."
    ),
    "imweb send; with an open cancel request, reject it with the invoice instead "
    "(cancel.reject): decided": (
        "아임웹 send(발송)에 해당합니다. 취소 요청이 열려 있으면 발송 대신 송장과 함께 취소를 "
        "거절(cancel.reject)합니다 (claimflow 결정)."
    ),
    "imweb complete": "아임웹 complete(배송완료)에 해당합니다.",
    "delivery while a request is pending: its origin becomes DELIVERED": (
        "반품·교환 요청이 열려 있는 동안 배송이 끝나면, 그 요청의 '요청 당시 상태'가 "
        "배송완료가 됩니다."
    ),
    "Toss CONFIRMED_ORDER (client code); no claim and no seller cancel after it": (
        "토스쇼핑 CONFIRMED_ORDER(공개 클라이언트 코드 기준)에 해당합니다. 구매확정 뒤에는 "
        "클레임도 판매자 직접 취소도 할 수 없습니다."
    ),
    "결제완료: cancelled at once, no claim is recorded": (
        "결제완료 상태의 취소 요청은 즉시 취소되며 클레임이 남지 않습니다."
    ),
    "allowed while a claim is in progress, also once it moved the line on (doc: 클레임 진행 중인 "
    "주문도 취소가 가능); closing it as CLOSED_BY_SELLER_CANCEL is decided; costs the shop 3 "
    "penalty points (client)": (
        "진행 중인 클레임이 있어도, 그 클레임으로 상태가 바뀐 뒤(수거중, 수거완료, 재배송중)에도 "
        "직접 취소할 수 있습니다(문서: 클레임 진행 중인 주문도 취소가 가능). 그 클레임을 '판매자 "
        "취소로 종료'로 닫는 것은 claimflow 결정입니다. 판매자 직접 취소는 벌점 3점입니다 "
        "(공개 클라이언트 코드 기준)."
    ),
    "not from EXCHANGED without a claim, CONFIRMED or a terminal status: decided; costs the shop "
    "3 penalty points (client)": (
        "클레임 없는 교환완료, 구매확정, 끝난 상태에서는 직접 취소할 수 없습니다 (claimflow 결정). "
        "판매자 직접 취소는 벌점 3점입니다 (공개 클라이언트 코드 기준)."
    ),
    "automatic approval of a cancel request left 7 business days (D1; integration notes, "
    "marketplaces.md §5.1)": (
        "구매자의 취소 요청이 7영업일 동안 처리되지 않으면 토스쇼핑이 자동으로 승인하고 "
        "환불합니다 (D1, 공개 클라이언트 코드 기준)."
    ),
    "M5: the round-trip fee is charged (CHARGE_EXTRA) when the buyer bears it": (
        "교환 배송비를 구매자가 부담하면 왕복 배송비를 추가 청구합니다 (M5)."
    ),
    "withdraw only while REQUESTED: decided": (
        "요청 단계에서만 철회할 수 있습니다 (claimflow 결정)."
    ),
    "claim_status CANCEL_REQUEST": "아임웹 claim_status CANCEL_REQUEST에 해당합니다.",
    "accept: the claim is REFUNDING (wire CANCELING 취소요청중) until the gateway answers (I3a)": (
        "아임웹 accept: 결제사가 답할 때까지 클레임은 환불진행중(아임웹 CANCELING 취소요청중)이고, "
        "주문상품 상태는 그대로입니다 (결과는 I3a)."
    ),
    "the statuses are documented; the SYSTEM action mirrors I14 (decided)": (
        "상태는 문서에 있습니다. 시스템 작업으로 다루는 것은 I14와 같게 정한 claimflow 결정입니다."
    ),
    "wire CANCEL_FAILED 취소실패; the SYSTEM action mirrors I14 (decided)": (
        "아임웹 CANCEL_FAILED(취소실패)에 해당합니다. 시스템 작업으로 다루는 것은 I14와 같게 정한 "
        "claimflow 결정입니다."
    ),
    "retry: refunding again, the gateway answers as after I3 (I3a)": (
        "아임웹 retry: 다시 환불을 요청합니다. 결제사의 답은 I3 뒤와 같이 옵니다 (I3a)."
    ),
    "a return of an exchanged item: decided, as Toss T6 and as I16 allows a re-exchange": (
        "교환완료 상품의 반품은 claimflow 결정입니다 (토스쇼핑 T6와 같고, I16이 재교환을 "
        "허용하므로)."
    ),
    "force_cancel: marked refunded without the gateway (manual refund)": (
        "아임웹 force_cancel: 결제사를 거치지 않고 환불된 것으로 표시합니다 (판매자가 직접 환불)."
    ),
    "reject": "아임웹 reject(거절)에 해당합니다.",
    "교환으로 변경 through reject: the return closes as REJECTED and an exchange request opens "
    "with the same origin": (
        "거절(reject)을 통한 교환으로 변경: 반품은 거절로 닫히고, 같은 요청 당시 상태로 교환 "
        "요청이 열립니다."
    ),
    "accept (수거지시)": "아임웹 accept(수거지시)에 해당합니다.",
    "collect_done": "아임웹 collect_done(수거완료)에 해당합니다.",
    "withhold; Naver Pay orders only; only before any refund went out, not while "
    "REFUNDING/REFUND_FAILED (decided)": (
        "아임웹 withhold(보류): 네이버페이 주문만 가능합니다. 환불이 나가기 전에만 보류할 수 있고, "
        "환불진행중·환불실패에서는 할 수 없습니다 (claimflow 결정)."
    ),
    "releasehold": "아임웹 releasehold(보류 해제)에 해당합니다.",
    "return_done: the claim is REFUNDING (RETURN_REFUNDING) until the gateway answers; the order "
    "product becomes RETURNED with return.refund_succeeded (I14)": (
        "아임웹 return_done: 결제사가 답할 때까지 클레임은 환불진행중(RETURN_REFUNDING)이고, "
        "환불 성공(return.refund_succeeded, I14)으로 주문상품이 반품완료가 됩니다."
    ),
    "RETURN_REFUND_FAILED": "아임웹 RETURN_REFUND_FAILED(환불실패)에 해당합니다.",
    "return_force_done: no automatic refund (the seller refunds by agreement)": (
        "아임웹 return_force_done: 자동 환불 없이 완료합니다 (판매자가 구매자와 협의해 직접 환불)."
    ),
    "from 반품수거완료 when the payment cannot be refunded automatically, else such orders could "
    "never finish": (
        "자동 환불이 안 되는 결제는 반품수거완료에서 바로 강제 완료할 수 있습니다. 그렇지 않으면 "
        "이런 주문은 끝낼 방법이 없습니다."
    ),
    "imweb resend": "아임웹 resend(교환 재발송)에 해당합니다.",
    "the item ships back: carrier code + invoice (parcel_code/invoice_no)": (
        "상품을 구매자에게 다시 보내므로 택배사 코드와 송장번호(parcel_code/invoice_no)를 "
        "함께 보냅니다."
    ),
    "imweb exchange_done": "아임웹 exchange_done(교환완료)에 해당합니다.",
    "withhold; only before the replacement ships (REQUESTED/APPROVED/COLLECTED): decided": (
        "아임웹 withhold(보류): 교환 상품을 다시 보내기 전(요청, 승인, 수거완료)에만 보류할 수 "
        "있습니다 (claimflow 결정)."
    ),
    "the statuses it is open in (not yet shipped) are decided; the cost calculation may turn the "
    "refund into an extra payment": (
        "가능한 상태(발송 전)는 claimflow 결정입니다. 비용 계산 결과 환불 대신 추가 결제가 "
        "될 수 있습니다."
    ),
    "x2bee saveRefundBundleApproMgmt: only from 회수완료; restores coupons and stock, refunds and "
    "notifies; no RESTORE_STOCK for a return made during an exchange (exchange_mid_return, wire "
    "exchMidRtnYn)": (
        "x2bee saveRefundBundleApproMgmt: 회수완료에서만 가능하며, 쿠폰·재고를 복원하고 환불한 뒤 "
        "구매자에게 알립니다. 교환 중에 한 반품(exchange_mid_return, x2bee exchMidRtnYn)은 재고를 "
        "복원하지 않습니다."
    ),
    "x2bee documents no call for a buyer's withdrawal (withdrawalExchange is a pickup-side step, "
    "marketplaces.md §5.3): carried out locally only": (
        "x2bee에는 구매자의 교환 철회 API가 없습니다(withdrawalExchange는 회수 쪽 단계입니다). "
        "claimflow 안에서만 처리합니다."
    ),
    "ordChangeFO: only 주문완료, one item at a time, an on-sale in-stock item of the same price, "
    "not the same item": (
        "x2bee ordChangeFO: 주문완료(결제완료)에서만, 한 번에 한 단품씩, 같은 가격의 판매 중이고 "
        "재고 있는 다른 단품으로만 바꿀 수 있습니다."
    ),
}

TAG_KO = {Tag.DOCUMENTED: "문서", Tag.DECIDED: "결정"}

EFFECT_MEANING_KO = {
    EffectKind.REFUND: "구매자에게 환불합니다 (금액은 결정에 들어 있습니다).",
    EffectKind.REGISTER_DELIVERY: "택배사와 송장번호를 등록합니다.",
    EffectKind.RESTORE_COUPONS: "사용한 쿠폰을 되돌립니다.",
    EffectKind.RESTORE_STOCK: "재고를 되돌립니다.",
    EffectKind.NOTIFY_BUYER: "구매자에게 알립니다 (알림톡, 알림함, 이메일).",
    EffectKind.CHARGE_EXTRA: "추가 비용을 청구하거나 환불에서 뺍니다.",
    EffectKind.REFUND_POINTS: "포인트를 환불합니다.",
}


def _tags(tags: tuple[Tag, ...]) -> str:
    return "·".join(TAG_KO[t] for t in tags)


def _money_table() -> list[str]:
    """rules.md M1-M8 once: what a quote is made of, for every marketplace."""
    out = [
        "",
        "## 환불 금액이 정해지는 방법 (M1–M8)",
        "",
        "돈이 움직이는 결정(환불, 추가 청구, 포인트 환불)에는 모두 견적(`Quote`)이 붙습니다. "
        "견적은 원 단위 정수이고, 각 항목을 더하면 정확히 전체 금액이 됩니다. "
        "`claimflow.quote()`로 실행 전에 미리 볼 수 있습니다.",
        "",
        "| 규칙 | 내용 | 근거 |",
        "|---|---|---|",
    ]
    out += [f"| {m.id} | {_cell(m.summary_ko)} | {_tags(m.tags)} |" for m in money_rules()]
    return out


def _money_actions(mp: Marketplace, m: MoneyRuleInfo) -> list[Action]:
    offered = COMPILED[mp].offered
    return [a for a in m.actions if a in offered]


def _money_section(mp: Marketplace) -> list[str]:
    """Who pays the return shipping on *mp*, and which of its actions each money rule prices."""
    out = ["### 돈: 반품 배송비와 환불 금액", "", return_shipping_ko(mp), ""]
    if GUIDES[mp].stated_figure_ko:
        out += [GUIDES[mp].stated_figure_ko, ""]
    specific = [(m, _money_actions(mp, m)) for m in money_rules() if m.actions]
    out += [
        f"- **{m.id}** {m.summary_ko.split(':', 1)[0]}: "
        + ", ".join(f"{a.label} `{a}`" for a in actions)
        for m, actions in specific
        if actions
    ]
    general = "·".join(m.id for m in money_rules() if not m.actions)
    particle = attach(general, "은/는")[len(general) :]  # M8은: 8 is read 팔
    out += [f"- **{general}**{particle} 돈이 움직이는 모든 작업에 똑같이 적용됩니다.", ""]
    return out


def _quantity_section(mp: Marketplace) -> list[str]:
    q = GUIDES[mp].partial
    text = GUIDES[mp].quantity_ko.removesuffix(".")
    return ["### 수량: 일부만 클레임할 수 있나", "", f"{text} ({q.rule_id}, {TAG_KO[q.tag]}).", ""]


def _deadline_section(mp: Marketplace) -> list[str]:
    """rules.md D1-D5, with the numbers :mod:`claimflow._time` counts with (the marketplaces whose
    guide has ``timers``: Toss)."""
    out = ["### 기한: 마켓이 스스로 처리하는 일과 벌점", ""]
    if not GUIDES[mp].timers:
        return [
            *out,
            f"{attach(mp.label, '은/는')} 자동 승인, 자동 구매확정, 벌점 같은 기한을 문서에 두지 "
            "않습니다. claimflow도 기한을 계산하지 않으며, `claimflow due`에는 열린 클레임이 "
            "기한 없이 나옵니다.",
            "",
        ]
    t = _time
    subject = attach(mp.label, "이/가")
    out += [
        f"{attach(mp.label, '은/는')} 판매자에게 보이지 않는 타이머로 움직입니다 "
        "(근거: 공개 클라이언트 코드). "
        "영업일은 주말, 공휴일(대체공휴일 포함), 상점 휴무일(마켓에 등록한 휴무일)을 "
        "뺀 날이고, 기한은 마지막 날 24:00(서울)까지입니다. 오늘 처리할 일은 "
        "`claimflow due`로 볼 수 있습니다 ([CLI 안내](cli.md)).",
        "",
        "| 규칙 | 언제 | 무슨 일이 생기나 |",
        "|---|---|---|",
        f"| D1 | 구매자의 취소 요청을 {t.AUTO_APPROVAL_BUSINESS_DAYS}영업일 동안 처리하지 않으면 | "
        f"{subject} 자동으로 승인하고 환불합니다 (시스템 `{Action.CANCEL_APPROVE}`, T3) |",
        f"| D2 | 배송완료 후 {t.AUTO_CONFIRMATION_DAYS}일이 지나면 (열린 클레임이 없을 때) | "
        f"{subject} 자동으로 구매확정합니다 (시스템 `{Action.ORDER_CONFIRM}`, F5) |",
        f"| D3 | 결제 후 preparationDays 영업일(기본 {t.DEFAULT_PREPARATION_DAYS}일, "
        f"0–{t.MAX_PREPARATION_DAYS}일) 안에 발송하지 않으면 | 주문상품마다 벌점 "
        f"{t.SHIPPING_PENALTY_POINTS}점 |",
        f"| D4 | 클레임을 {t.UNTOUCHED_CLAIM_BUSINESS_DAYS}영업일 동안 처리하지 않으면 | "
        f"벌점 {t.UNTOUCHED_CLAIM_PENALTY_POINTS}점 |",
        f"| D5 | 발송 지연 `{Action.ORDER_DELAY}` | 주문상품마다 한 번, 결제 후 "
        f"{t.DELAY_WINDOW_BUSINESS_DAYS}영업일 안에만 할 수 있고, 새 발송 기한은 오늘부터 "
        f"{t.MAX_DELAY_DAYS}일 이내여야 합니다 (F2) |",
        "",
    ]
    return out


def note_ko(note: str) -> str:
    """A rule's note in Korean (an untranslated one is shown in English, marked)."""
    return NOTES_KO.get(note, f"(영문) {note}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _source(src: Source) -> str:
    if src.url is None:
        return "claimflow 결정 (공개 문서 없음)"
    seed = f" (`{src.seed}`)" if src.seed else ""
    return f"[{src.url.removeprefix('https://')}]({src.url}){seed}"


def _effects(effects: tuple[str, ...]) -> str:
    return ", ".join(EffectKind(e).label for e in effects) or "—"


def _row(r: RuleRow) -> str:
    tags = "·".join(TAG_KO[t] for t in r.tags)
    return (
        "| "
        + " | ".join(
            _cell(x)
            for x in (
                r.when_text(),
                f"{r.action.label} `{r.action}`",
                ", ".join(r.required_params) or "—",
                r.to_text(),
                _effects(r.effects),
                r.rule_id,
                f"{tags} · " + "; ".join(_source(s) for s in r.sources),
            )
        )
        + " |"
    )


def render() -> str:
    """The whole guide as Markdown."""
    out = [
        f"<!-- {MARKER} docs: do not edit; run `claimflow docs` -->",
        "# 클레임 처리 운영 가이드",
        "",
        "이 문서는 `claimflow docs`가 claimflow의 규칙에서 만듭니다. 손으로 고치지 마세요: "
        "표의 모든 줄은 엔진이 실제로 판단하는 규칙이고, 다이어그램과 같은 중간 형태에서 "
        "나옵니다. CI가 문서와 코드가 같은지 확인합니다.",
        "",
        "- **근거**: `문서`는 마켓의 공개 문서에 있는 규칙(링크와 원문 파일 이름), "
        "`결정`은 문서에 없어 claimflow가 정한 규칙입니다 (다이어그램에서는 점선).",
        "- **누가**: 구매자(BUYER), 판매자(SELLER), 시스템(SYSTEM: 마켓이 스스로 하는 일).",
        "- **언제**: 주문상품 상태, 진행 중인 클레임, 그리고 결제 조건입니다. "
        "조건이 맞지 않으면 엔진은 그 이유와 규칙 id를 함께 돌려줍니다.",
        "- 요청(클레임)은 주문상품 상태를 바꾸지 않습니다. 상태 옆에 열린 클레임으로 남고, "
        "거절·반려는 요청 당시 상태로 돌아갑니다. 한 주문상품에는 열린 클레임이 하나만 있습니다.",
        "- 셸에서 바로 물어볼 수 있습니다: `claimflow check toss cancel.request --actor BUYER "
        "--status DELIVERED`, `claimflow actions toss --status DELIVERED` "
        "([CLI 안내](cli.md)).",
        "",
        "## 주문상품 상태",
        "",
        "| 상태 | id | 뜻 |",
        "|---|---|---|",
    ]
    out += [f"| {s.label} | `{s}` | {MEANING_KO[s]} |" for s in Status]
    out += ["", "## 돈과 재고에 생기는 일", "", "| 효과 | 뜻 |", "|---|---|"]
    out += [f"| {e.label} (`{e}`) | {EFFECT_MEANING_KO[e]} |" for e in EffectKind]
    out += _money_table()
    for mp in Marketplace:
        rows = rule_rows(mp)
        out += ["", f"## {mp.label} ({mp})", "", GUIDES[mp].intro_ko, ""]
        out += [
            f"다이어그램: [diagrams/{mp}/](../diagrams/{mp}/) "
            f"(SVG, Mermaid는 [diagrams/README.md](../diagrams/README.md)).",
            "",
        ]
        for actor in Actor:
            mine = [r for r in rows if actor in r.actors]
            if not mine:
                continue
            who = attach(f"{actor.label}({actor})", "이/가")
            out += [
                f"### {who} 할 수 있는 일",
                "",
                "| 언제 | 작업 | 필요한 값 | 결과 상태 | 돈·재고 | 규칙 | 근거 |",
                "|---|---|---|---|---|---|---|",
            ]
            out += [_row(r) for r in mine]
            out.append("")
        noted = [(r, note, tag) for r in rows for note, tag in r.notes]
        if noted:
            out += ["### 비고", ""]
            out += [
                f"- **{r.rule_id}** `{r.action}` ({TAG_KO[tag]}): {note_ko(note)}"
                for r, note, tag in noted
            ]
            out.append("")
        out += _money_section(mp) + _quantity_section(mp) + _deadline_section(mp)
        out.pop()  # no blank line before the next section's heading
    return "\n".join(out) + "\n"
