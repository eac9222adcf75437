"""What a marketplace's rules say beyond the rule rows (``claimflow._rules``): in operators'
words, and as the data the engine, the deadlines and the docs read instead of naming a
marketplace. One :class:`MarketplaceGuide` per marketplace in :data:`GUIDES`.

It sits below the rules and the deadlines (it imports only the vocabulary), so that both read it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._vocab import Marketplace, Tag

__all__ = ["GUIDES", "SRC_MARKETPLACES", "SRC_RULES", "MarketplaceGuide", "PartialRule"]

TOSS, IMWEB, X2BEE = Marketplace.TOSS, Marketplace.IMWEB, Marketplace.X2BEE

#: a rule's source when it is the wire-facts spec or the rules spec itself (shared/spec/)
SRC_MARKETPLACES = "spec/marketplaces.md"
SRC_RULES = "spec/rules.md"


@attrs.frozen
class PartialRule:
    """The rule (rules.md Q1-Q3) that refuses a claim on part of a line, and its refusal."""

    rule_id: str
    source: str
    tag: Tag
    message_ko: str
    message_en: str


@attrs.frozen
class MarketplaceGuide:
    """A marketplace's rules in operators' words (Korean product text), for the ops guide
    (``claimflow._opsguide``): *intro_ko* opens its section; *quantity_ko* says how much of a line
    a claim may take (rules.md Q1-Q3; the rule id and tag come from the engine's own table);
    *stated_figure_ko* where the marketplace states its own figure (rules.md M7; empty: it does
    not); *timers*: whether it moves claims by deadlines of its own, the set rules.md D1-D5 states
    (today Toss's; :mod:`claimflow._time` counts them with Toss's numbers, so a marketplace with
    other timers needs its own numbers there before it sets this)."""

    intro_ko: str
    quantity_ko: str
    #: rules.md Q1-Q3: the rule refusing part of a line (the engine's refusal cites it)
    partial: PartialRule
    #: who pays the return shipping and what is deducted (rules.md M3-M5), as operators read it
    return_shipping_ko: str
    stated_figure_ko: str = ""
    timers: bool = False
    #: Q1: an order may allow part of a line (x2bee ``sctnCnclPsbYn``: ``partial_claims``)
    partial_by_order: bool = False
    #: rules sourced from spec/marketplaces.md: the public page cited, per machine (definition)
    spec_urls: Mapping[str, str] = attrs.field(factory=dict)


#: One :class:`MarketplaceGuide` per marketplace: its rules' prose lives with its rules.
GUIDES: dict[Marketplace, MarketplaceGuide] = {
    TOSS: MarketplaceGuide(
        intro_ko=(
            "토스쇼핑 판매자 API 가이드(취소·반품·교환 처리하기)를 따릅니다. 결제완료 상태의 "
            "구매자 취소는 즉시 처리되어 클레임이 남지 않고, 판매자는 진행 중인 클레임이 있어도 "
            "직접 취소할 수 있습니다."
        ),
        quantity_ko=(
            "클레임은 주문상품(orderProductId) 단위이고 그 주문상품의 전체 수량을 대상으로 합니다. "
            "일부 수량(quantity)만 신청하면 거절됩니다."
        ),
        stated_figure_ko=(
            "토스쇼핑이 클레임 배송비(claimDeliveryPaymentAmount)를 알려 주면 그 금액대로 "
            "처리하고, claimflow 견적과 다르면 차이를 결정에 함께 알립니다 (M7)."
        ),
        timers=True,
        partial=PartialRule(
            "Q3",
            SRC_RULES,
            Tag.DECIDED,
            "토스쇼핑 클레임은 주문상품 단위로 전체 수량을 대상으로 합니다",
            "a Toss claim takes the whole quantity of its order product",
        ),
        return_shipping_ko=(
            "클레임의 requestDeliveryPenaltyCharger(판매자 직접 취소는 deliveryPenaltyCharger)가 "
            "`USER`(구매자)면 구매자가, `MERCHANT`(판매자)면 판매자가 반품 배송비를 부담합니다. "
            "구매자 부담이면 첫 배송비를 낸 경우 편도 배송비(refundOneWayDeliveryFee)를, "
            "무료배송이었으면 왕복 배송비(roundTripDeliveryFee)를 환불액에서 뺍니다."
        ),
        spec_urls={"order": "https://shopping-docs.toss.im/dev/api-2/order"},
    ),
    IMWEB: MarketplaceGuide(
        intro_ko=(
            "아임웹 v2 쇼핑 API(반품 처리, 교환 처리 등)를 따릅니다. 품목 단위로 일부만 성공할 수 "
            "있고, 무통장입금·가상계좌처럼 자동 환불이 안 되는 결제는 강제 취소·강제 완료 후 직접 "
            "환불합니다. 반품 보류는 네이버페이 주문만 가능하며, 보류 중에는 보류 해제 외의 판매자 "
            "처리가 막힙니다. 반품 반려와 교환 송장 변경 API는 문서에 없습니다."
        ),
        quantity_ko=(
            "클레임은 품목 주문(prod_order_no) 전체를 대상으로 합니다. 아임웹 문서의 예처럼 상품A "
            "2개 중 1개를 반품해도 시스템에서는 2개가 모두 반품되므로, 일부 수량(quantity)만 "
            "신청하면 거절됩니다."
        ),
        partial=PartialRule(
            "Q2",
            SRC_MARKETPLACES,
            Tag.DOCUMENTED,
            "아임웹 v2 클레임은 품목 주문 전체를 대상으로 합니다",
            "an imweb v2 claim takes the whole item order",
        ),
        return_shipping_ko=(
            "사유 코드가 구매자 귀책(INTENT_CHANGED, COLOR_AND_SIZE, WRONG_ORDER)이면 구매자가, "
            "그 밖의 판매자 귀책이면 판매자가 반품 배송비를 부담합니다. 판매자가 입력한 추가 "
            "청구액(etc_price)은 환불액에서 뺍니다."
        ),
        spec_urls={
            "order": "https://developers.imweb.me",
            "cancel": "https://developers.imweb.me",
            "exchange": "https://developers.imweb.me/orders/exchanges",
        },
    ),
    X2BEE: MarketplaceGuide(
        intro_ko=(
            "x2bee 스토어프론트 가이드(주문취소/옵션변경)를 따릅니다. 구매자의 주문취소는 비용 "
            "계산 후 즉시 처리되며 쿠폰·재고가 복원되고 알림이 나갑니다. 결제완료(x2bee의 "
            "주문완료) 상태에서만 같은 가격의 판매 중·재고 있는 다른 단품으로 옵션을 바꿀 수 "
            "있습니다."
        ),
        quantity_ko=(
            "주문이 부분 클레임을 허용하면(sctnCnclPsbYn) 취소·반품·교환에서 일부 수량(quantity, "
            "x2bee claimQty)만 신청할 수 있습니다. 신청한 수량은 별도의 주문상품 줄로 나뉘어 자기 "
            "상태와 클레임을 갖고, 나머지 수량은 상태가 그대로 남아 나중에 신청할 수 있습니다. "
            "금액은 수량에 비례해 나누며(M2), 모든 줄의 수량을 더하면 언제나 처음 주문한 "
            "수량입니다. 부분 클레임을 허용하지 않는 주문에서 일부 수량을 신청하면 거절됩니다."
        ),
        partial=PartialRule(
            "Q1",
            SRC_MARKETPLACES,
            Tag.DOCUMENTED,
            "이 주문은 부분 클레임을 허용하지 않습니다(sctnCnclPsbYn)",
            "this order does not allow a partial claim (sctnCnclPsbYn)",
        ),
        return_shipping_ko=(
            "x2bee의 비용 계산(claimCalculateCostFO)이 알려 준 환불액이나 추가 결제액대로 "
            "처리합니다. 요청에 fee_payer로 부담 주체를 알려 주면 claimflow 견적과 비교해 차이를 "
            "알립니다."
        ),
        partial_by_order=True,
        spec_urls={
            "order": "https://tech.x2bee.com/api/back-office-api/delivery-bo-api/undefined-5",
            "return": "https://tech.x2bee.com/api/store-front-api/order-api/undefined-6",
            "exchange": (
                "https://x2bee.gitbook.io/x2bee-docs/api/back-office-api/claim-bo-api/undefined-3"
            ),
        },
    ),
}
