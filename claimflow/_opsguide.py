"""The Korean operations guide (docs/ops-guide.ko.md), generated from the rules the engine runs.

The prose around the tables is fixed text; every table row comes from :func:`claimflow.rules`, so
the guide cannot say something the code does not do.
"""

from __future__ import annotations

from ._introspect import RuleInfo, rules
from ._vocab import Actor, EffectKind, Marketplace, Status, Tag

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

INTRO_KO = {
    Marketplace.TOSS: (
        "토스쇼핑 판매자 API 가이드(취소 `000_…`, 반품 `001_…`, 교환 `003_…`)를 따릅니다. "
        "결제완료 상태의 구매자 취소는 즉시 처리되어 클레임이 남지 않고, 판매자는 진행 중인 "
        "클레임이 있어도 직접 취소할 수 있습니다."
    ),
    Marketplace.IMWEB: (
        "아임웹 v2 쇼핑 API(반품 `004_…`, 나머지는 공개 문서)를 따릅니다. 품목 단위로 일부만 "
        "성공할 수 있고, 무통장입금·가상계좌처럼 자동 환불이 안 되는 결제는 강제 취소·강제 완료 후 "
        "직접 환불합니다. 반품 보류는 네이버페이 주문만 가능하며, 보류 중에는 보류 해제 외의 "
        "판매자 처리가 막힙니다. 반품 반려와 교환 송장 변경 API는 문서에 없습니다."
    ),
    Marketplace.X2BEE: (
        "x2bee 스토어프론트 가이드(`002_…`)를 따릅니다. 구매자의 주문취소는 비용 계산 후 즉시 "
        "처리되며 쿠폰·재고가 복원되고 알림이 나갑니다. 주문완료 상태에서만 같은 가격의 판매 중·"
        "재고 있는 다른 단품으로 옵션을 바꿀 수 있습니다."
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _from(r: RuleInfo) -> str:
    sts = "어느 상태든" if r.from_statuses is None else ", ".join(s.label for s in r.from_statuses)
    return f"{sts} ({r.claim_condition_ko})"


def _to(r: RuleInfo) -> str:
    if r.to_status is not None:
        return r.to_status.label
    return "그대로" if r.to == "same" else "요청 당시 상태로"


def _money(effects: tuple[EffectKind, ...]) -> str:
    return ", ".join(e.label for e in effects) or "—"


def render() -> str:
    """The whole guide as Markdown."""
    out = [
        "# 클레임 처리 운영 가이드",
        "",
        "이 문서는 `claimflow docs`가 claimflow의 규칙에서 만듭니다. 손으로 고치지 마세요: "
        "표의 모든 줄은 엔진이 실제로 판단하는 규칙입니다. "
        "CI가 문서와 코드가 같은지 확인합니다.",
        "",
        "- **근거**: `documented`는 마켓 문서에 있는 규칙, "
        "`decided`는 문서에 없어 claimflow가 정한 규칙입니다 (다이어그램에서는 점선).",
        "- **누가**: 구매자(BUYER), 판매자(SELLER), 시스템(SYSTEM: 마켓이 스스로 하는 일).",
        "- 요청(클레임)은 주문상품 상태를 바꾸지 않습니다. 상태 옆에 열린 클레임으로 남고, "
        "거절·반려는 요청 당시 상태로 돌아갑니다. 한 주문상품에는 열린 클레임이 하나만 있습니다.",
        "",
        "## 주문상품 상태",
        "",
        "| 상태 | id | 뜻 |",
        "|---|---|---|",
    ]
    out += [f"| {s.label} | `{s}` | {MEANING_KO[s]} |" for s in Status]
    out += ["", "## 돈과 재고에 생기는 일", "", "| 효과 | 뜻 |", "|---|---|"]
    meaning = {
        EffectKind.REFUND: "구매자에게 환불합니다 (금액은 결정에 들어 있습니다).",
        EffectKind.REGISTER_DELIVERY: "택배사와 송장번호를 등록합니다.",
        EffectKind.RESTORE_COUPONS: "사용한 쿠폰을 되돌립니다.",
        EffectKind.RESTORE_STOCK: "재고를 되돌립니다.",
        EffectKind.NOTIFY_BUYER: "구매자에게 알립니다 (알림톡, 알림함, 이메일).",
        EffectKind.CHARGE_EXTRA: "추가 비용을 청구하거나 환불에서 뺍니다.",
        EffectKind.REFUND_POINTS: "포인트를 환불합니다.",
    }
    out += [f"| {e.label} (`{e}`) | {meaning[e]} |" for e in EffectKind]
    for mp in Marketplace:
        rs = rules(mp)
        out += ["", f"## {mp.label} ({mp})", "", INTRO_KO[mp], ""]
        out += [
            f"다이어그램: [diagrams/{mp}/](../diagrams/{mp}/) "
            f"(SVG, Mermaid는 [diagrams/README.md](../diagrams/README.md)).",
            "",
        ]
        for actor in Actor:
            mine = [r for r in rs if actor in r.actors]
            if not mine:
                continue
            out += [
                f"### {actor.label}({actor})가 할 수 있는 일",
                "",
                "| 언제 | 작업 | 필요한 값 | 결과 상태 | 돈·재고 | 규칙 | 근거 |",
                "|---|---|---|---|---|---|---|",
            ]
            for r in mine:
                guard = f" (조건: {', '.join(r.guards)})" if r.guards else ""
                out.append(
                    "| "
                    + " | ".join(
                        _cell(x)
                        for x in (
                            _from(r),
                            f"{r.action.label} `{r.action}`{guard}",
                            ", ".join(r.required_params) or "—",
                            _to(r),
                            _money(r.effects),
                            r.id,
                            f"{r.tag} `{r.source}`",
                        )
                    )
                    + " |"
                )
            out.append("")
        decided = [r for r in rs if r.tag is Tag.DECIDED or r.note]
        if decided:
            out += ["### 비고", ""]
            out += [f"- **{r.id}** `{r.action}` ({r.tag}): {r.note}" for r in decided if r.note]
    return "\n".join(out) + "\n"
