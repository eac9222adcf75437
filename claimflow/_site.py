"""The rule explorer: ``claimflow site --out DIR`` writes a static, self-contained HTML site.

No CDN and no fetch: every page carries its SVG diagram (Graphviz), its data (JSON in a
``<script type="application/json">``), its CSS and its script inline, so it works from a
``file://`` URL with no network. Pages:

- ``index.html``: the marketplaces and their machines, and a search over every rule by action
  (``return.complete``, ``반품 완료``), each with its condition, result and public source;
- ``<marketplace>-<machine>.html``: the diagram with clickable states (and a list of every state,
  for those a fan note stands for); clicking one shows, per actor, the allowed actions with where
  they lead (status, claim status, effects, rule id) and the refused ones with their Korean and
  English reasons and rule ids; the money rules that price an allowed action's quote (M1-M8) and,
  on Toss, the deadlines :func:`claimflow.due` counts in that state (D1-D4; needs the ``time``
  extra, else none are shown); where the machine has guarded rules (imweb), a payment selector
  (card, bank transfer, Naver Pay) shows how the answer changes.

Everything comes from the same intermediate form as the diagrams and the ops guide
(:mod:`claimflow._diagrams`): :func:`~claimflow._diagrams.extract`, ``rule_rows`` and ``options``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import attrs

from . import _time
from ._diagrams import (
    MARKER,
    Graph,
    Node,
    definitions,
    extract,
    options,
    rule_rows,
    svg,
    to_dot,
)
from ._introspect import money_rules, reachable_states
from ._opsguide import TAG_KO
from ._values import OrderProduct
from ._vocab import SEOUL, Action, Actor, EffectKind, Marketplace, PaymentChannel
from .exceptions import MissingExtraError

__all__ = ["build"]

_CSS = """
body { font-family: "NanumGothic", "Noto Sans CJK KR", sans-serif; margin: 0; color: #222; }
header { background: #233; color: #fff; padding: 0.6em 1em; }
header a { color: #cde; margin-right: 1em; }
main { display: flex; gap: 1em; padding: 1em; align-items: flex-start; }
#diagram { flex: 3; overflow: auto; border: 1px solid #ccc; background: #fff; }
#diagram svg { max-width: 100%; height: auto; }
#diagram g.node.state { cursor: pointer; }
#diagram g.node.state:hover polygon, #diagram g.node.state:hover path { stroke-width: 3; }
#diagram g.node.selected polygon, #diagram g.node.selected path { fill: #ffe08a; }
aside { flex: 2; min-width: 22em; }
#panel h2 { margin-top: 0; font-size: 1.1em; }
.allowed { color: #155724; } .refused { color: #8a1f11; }
li { margin: 0.25em 0; } .en { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #ccc; padding: 0.3em; vertical-align: top; font-size: 0.9em; }
input[type=search] { width: 100%; font-size: 1.1em; padding: 0.3em; }
"""

_STATE_JS = """
const data = JSON.parse(document.getElementById('data').textContent);
const panel = document.getElementById('panel');
function esc(s) { const d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
function show(id) {
  const st = data.states[id];
  if (!st) return;
  document.querySelectorAll('g.node.selected').forEach(g => g.classList.remove('selected'));
  const g = document.querySelector('g.node[data-state="' + id + '"]');
  if (g) g.classList.add('selected');
  document.getElementById('state-select').value = id;
  const pay = document.getElementById('payment');
  const label = pay.options[pay.selectedIndex].text;
  let h = '<h2 id="panel-title">' + esc(st.label) + '</h2><p class="en">' + esc(st.label_en)
    + '</p><p>결제: ' + esc(label) + '</p>';
  for (const a of st.payments[pay.value]) {
    h += '<h3>' + esc(a.label) + '</h3><ul class="actor" data-actor="' + a.actor + '">';
    for (const o of a.allowed) {
      h += '<li class="allowed" data-action="' + o.action + '">✓ <b>' + esc(o.action) + '</b> '
        + esc(o.label) + ' → ' + esc(o.to) + (o.effects ? ' · ' + esc(o.effects) : '')
        + ' <span class="rule">[' + esc(o.rule) + ']</span>'
        + (o.needs ? ' <span class="en">필요한 값: ' + esc(o.needs) + '</span>' : '')
        + (o.quote ? ' <span class="quote">견적 ' + esc(o.quote) + '</span>' : '') + '</li>';
    }
    if (!a.allowed.length) h += '<li>가능한 작업 없음 / nothing allowed</li>';
    for (const o of a.refused) {
      h += '<li class="refused" data-action="' + o.action + '">✗ <b>' + esc(o.action) + '</b> '
        + esc(o.ko) + ' <span class="rule">[' + esc(o.rule) + ']</span><br><span class="en">'
        + esc(o.en) + '</span></li>';
    }
    h += '</ul>';
  }
  if (st.deadlines.length) {
    h += '<h3>기한 / deadlines</h3><ul class="deadlines">';
    for (const d of st.deadlines) h += '<li data-rule="' + d.rule + '">' + esc(d.text) + '</li>';
    h += '</ul>';
  }
  panel.innerHTML = h;
}
document.querySelectorAll('#diagram g.node').forEach(g => {
  const t = g.querySelector('title');
  if (t && data.states[t.textContent]) {
    g.classList.add('state');
    g.dataset.state = t.textContent;
    g.addEventListener('click', () => show(t.textContent));
  }
});
document.getElementById('state-select').addEventListener('change', e => show(e.target.value));
document.getElementById('payment').addEventListener('change', () => {
  const id = document.getElementById('state-select').value;
  if (id) show(id);
});
"""

_SEARCH_JS = """
const box = document.getElementById('search');
const rows = Array.from(document.querySelectorAll('#rules tbody tr'));
function filter() {
  const q = box.value.trim().toLowerCase();
  let n = 0;
  for (const r of rows) {
    const hit = !q || r.dataset.search.includes(q);
    r.hidden = !hit; if (hit) n++;
  }
  document.getElementById('count').textContent = n;
}
box.addEventListener('input', filter);
filter();
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        f"<!-- {MARKER} site: do not edit; run `claimflow site` -->\n"
        '<html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        f"{body}\n" + (f"<script>{script}</script>\n" if script else "") + "</body></html>\n"
    )


def _nav() -> str:
    links = ['<a href="index.html">claimflow 규칙 탐색기</a>']
    for mp in Marketplace:
        for d in definitions(mp):
            links.append(f'<a href="{mp}-{d}.html">{html.escape(mp.label)} · {d}</a>')
    return "<header>" + " ".join(links) + "</header>"


def _json_script(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="data">{text}</script>'


def _order_product(mp: Marketplace, node: Node) -> OrderProduct:
    """A sample order product in *node*'s state (the first origin the rules allow)."""
    for status, claim, _ in reachable_states(mp):
        if status is not node.status:
            continue
        if claim is None and node.claim_type is None:
            return OrderProduct("site", mp, status, "ITEM", 10_000)
        if claim is not None and (claim.type, claim.status, claim.held_from) == (
            node.claim_type,
            node.claim_status,
            node.held_from,
        ):
            return OrderProduct("site", mp, status, "ITEM", 10_000, open_claim=claim)
    msg = f"no reachable {mp} state for {node.id}"
    raise AssertionError(msg)


#: Payment conditions some guards read (imweb: automatic refund, Naver Pay holds): a page whose
#: machine has guarded rules offers each; the others show the first.
PAYMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("card", "카드·간편결제 (자동 환불 가능)", {}),
    ("bank", "무통장입금·가상계좌 (자동 환불 불가)", {"auto_refundable": False}),
    ("npay", "네이버페이 주문", {"payment_channel": PaymentChannel.NPAY}),
)


#: rules.md M3-M5: the money rule that prices an action's quote (M1, M2, M6-M8 hold for all)
_QUOTE_RULES = {a: m.id for m in money_rules() for a in m.actions}
_MONEY = frozenset({EffectKind.REFUND, EffectKind.CHARGE_EXTRA, EffectKind.REFUND_POINTS})

#: rules.md D1-D4 as the panel says them, with the numbers claimflow._time counts with
_DEADLINE_KO = {
    _time.DeadlineKind.AUTO_APPROVAL: (
        f"요청 후 {_time.AUTO_APPROVAL_BUSINESS_DAYS}영업일 안에 처리하지 않으면 토스쇼핑이 "
        "자동으로 승인하고 환불합니다"
    ),
    _time.DeadlineKind.AUTO_CONFIRMATION: (
        f"배송완료 후 {_time.AUTO_CONFIRMATION_DAYS}일이 지나면 토스쇼핑이 자동으로 구매확정합니다"
    ),
    _time.DeadlineKind.SHIPPING: (
        f"결제 후 preparationDays 영업일(기본 {_time.DEFAULT_PREPARATION_DAYS}일) 안에 "
        f"발송하지 않으면 벌점 {_time.SHIPPING_PENALTY_POINTS}점입니다"
    ),
    _time.DeadlineKind.UNTOUCHED_CLAIM: (
        f"요청 후 {_time.UNTOUCHED_CLAIM_BUSINESS_DAYS}영업일 안에 처리하지 않으면 벌점 "
        f"{_time.UNTOUCHED_CLAIM_PENALTY_POINTS}점입니다"
    ),
}
_SAMPLE_MOMENT = dt.datetime(2026, 1, 5, 10, tzinfo=SEOUL)


def _deadlines_data(op: OrderProduct) -> list[dict[str, str]]:
    """What claimflow.due() counts in this state (Toss), said without dates."""
    at = _SAMPLE_MOMENT
    claim = op.open_claim
    sample = attrs.evolve(
        op,
        paid_at=at,
        delivered_at=at,
        open_claim=None if claim is None else attrs.evolve(claim, requested_at=at),
    )
    try:
        found = _time.due(sample, at)
    except MissingExtraError:  # no 'time' extra: business days cannot be counted
        return []
    return [
        {"rule": d.rule_id, "text": f"{d.kind.label} ({d.rule_id}): {_DEADLINE_KO[d.kind]}"}
        for d in found
    ]


def _actors_data(op: OrderProduct, machine_actions: set[Action]) -> list[dict[str, Any]]:
    actors = []
    for actor in Actor:
        opts = options(op, actor)
        allowed = [
            {
                "action": o.action.value,
                "label": o.action.label,
                "to": (o.to_status.label if o.to_status else "—")
                + (
                    f", 클레임 {o.claim_type.label} {o.claim_status.label}"
                    if o.claim_type and o.claim_status
                    else ""
                ),
                "effects": ", ".join(EffectKind(e).label for e in o.effects),
                "rule": o.rule_id or "",
                "needs": ", ".join(o.required_params),
                "quote": _quote_rules(o.action, o.effects),
            }
            for o in opts
            if o.allowed
        ]
        refused = [
            {
                "action": o.action.value,
                "ko": " / ".join(r.message_ko for r in o.reasons),
                "en": " / ".join(r.message_en for r in o.reasons),
                "rule": o.rule_id or "",
            }
            for o in opts
            if not o.allowed and o.action in machine_actions
        ]
        actors.append(
            {
                "actor": actor.value,
                "label": f"{actor.label}({actor})",
                "allowed": allowed,
                "refused": refused,
            }
        )
    return actors


def _quote_rules(action: Action, effects: tuple[str, ...]) -> str:
    if not _MONEY.intersection(EffectKind(e) for e in effects):
        return ""
    specific = _QUOTE_RULES.get(action)
    return f"{specific}, M1·M2·M6–M8" if specific else "M1·M2·M6–M8"


def _state_data(graph: Graph) -> dict[str, Any]:
    mp = graph.marketplace
    machine_actions = {e.action for e in graph.edges}
    payments = PAYMENTS if any(e.guards for e in graph.edges) else PAYMENTS[:1]
    states: dict[str, Any] = {}
    for node in graph.nodes:
        op = _order_product(mp, node)
        states[node.id] = {
            "label": node.text("ko"),
            "label_en": node.text("en"),
            "deadlines": _deadlines_data(op),
            "payments": {
                key: _actors_data(attrs.evolve(op, **changes), machine_actions)
                for key, _, changes in payments
            },
        }
    return {
        "marketplace": mp.value,
        "definition": graph.definition,
        "payments": [{"key": key, "label": label} for key, label, _ in payments],
        "states": states,
    }


def _machine_page(mp: Marketplace, d: str) -> str:
    graph = extract(mp, d)
    payments = PAYMENTS if any(e.guards for e in graph.edges) else PAYMENTS[:1]
    drawing = svg(to_dot(graph)).decode("utf-8")
    drawing = drawing[drawing.index("<svg") :]  # inline: no XML declaration or doctype
    options_html = "".join(
        f'<option value="{n.id}">{html.escape(n.text("ko"))}</option>' for n in graph.nodes
    )
    body = (
        _nav()
        + f"<main><section id='diagram'>{drawing}</section><aside>"
        + "<label>상태 / state: <select id='state-select'><option value=''>—</option>"
        + options_html
        + "</select></label><br><label>결제 / payment: <select id='payment'>"
        + "".join(f"<option value='{k}'>{html.escape(label)}</option>" for k, label, _ in payments)
        + "</select></label>"
        + "<div id='panel'><p>상태를 누르면 누가 무엇을 할 수 있는지 보입니다. "
        "Click a state.</p></div></aside></main>" + _json_script(_state_data(graph))
    )
    return _page(f"{mp.label} · {d} — claimflow", body, _STATE_JS)


def _index_page() -> str:
    rows = []
    for mp in Marketplace:
        for r in rule_rows(mp):
            sources = " ".join(
                f'<a href="{html.escape(s.url)}">{html.escape(s.url)}</a>'
                + (f" ({html.escape(s.seed)})" if s.seed else "")
                if s.url
                else "claimflow 결정 (공개 문서 없음)"
                for s in r.sources
            )
            search = f"{r.action.value} {r.action.label} {r.rule_id} {mp.value} {mp.label}".lower()
            rows.append(
                f'<tr data-search="{html.escape(search)}">'
                f"<td>{html.escape(mp.label)}</td>"
                f'<td><a href="{mp}-{r.definition}.html">{r.definition}</a></td>'
                f"<td>{html.escape(r.rule_id)}</td>"
                f"<td><b>{r.action}</b> {html.escape(r.action.label)}</td>"
                f"<td>{html.escape(r.when_text())}</td>"
                f"<td>{html.escape(r.to_text())}</td>"
                f"<td>{'·'.join(TAG_KO[t] for t in r.tags)} {sources}</td></tr>"
            )
    body = (
        _nav() + "<main><div style='flex:1'><h1>claimflow 규칙 탐색기</h1>"
        "<p>마켓과 흐름을 고르면 다이어그램의 상태를 눌러 누가 무엇을 할 수 있는지 볼 수 "
        "있습니다. 아래에서 작업으로 규칙을 찾으세요 (예: <code>return.complete</code>, "
        "<code>반품 완료</code>).</p>"
        "<input type='search' id='search' placeholder='작업 검색 / search by action'>"
        "<p><span id='count'></span>개 규칙</p>"
        "<table id='rules'><thead><tr><th>마켓</th><th>흐름</th><th>규칙</th><th>작업</th>"
        "<th>언제</th><th>결과</th><th>근거</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></main>"
    )
    return _page("claimflow 규칙 탐색기", body, _SEARCH_JS)


def build() -> dict[str, str | bytes]:
    """Every page of the site, by file name (needs Graphviz's ``dot`` for the diagrams)."""
    files: dict[str, str | bytes] = {"index.html": _index_page()}
    for mp in Marketplace:
        for d in definitions(mp):
            files[f"{mp}-{d}.html"] = _machine_page(mp, d)
    return files
