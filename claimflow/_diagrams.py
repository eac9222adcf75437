"""Diagrams and transition tables, generated from the machines the engine runs.

One path: :func:`extract` reads a ``transitions`` machine (``machine.events``, the same source the
engine's table is compiled from) into a small intermediate form, :class:`Graph`; one renderer per
format turns a graph into Mermaid ``stateDiagram-v2``, Graphviz DOT or a Markdown table. Nothing
here describes a rule a second time.

States are drawn with the origin folded away: "반품수거완료 + 반품 수거완료" is one box whatever the
return was requested in, and the 반려 edges out of it lead to each possible origin, labelled so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from ._engine import apply, example_params
from ._machine import COMPILED, RuleTransition, StateKey, state_name
from ._rules import DEFINITIONS, Target
from ._values import OrderProduct
from ._vocab import Action, Actor, ClaimStatus, ClaimType, Marketplace, Status, Tag

__all__ = [
    "Edge",
    "Graph",
    "Node",
    "extract",
    "to_dot",
    "to_markdown",
    "to_mermaid",
    "trace",
    "write_all",
]

FORMATS = ("mmd", "dot", "md", "svg")
TEXT_FORMATS = ("mmd", "dot", "md")


@attrs.frozen
class Node:
    """A box: an order-product status with, maybe, an open claim (origin folded away)."""

    id: str
    status: Status
    claim_type: ClaimType | None
    claim_status: ClaimStatus | None
    held_from: ClaimStatus | None

    @property
    def label(self) -> str:
        """Korean label with ids, e.g. ``반품수거중 RETURN_COLLECTING / 반품 승인``."""
        text = f"{self.status.label} {self.status.value}"
        if self.claim_type is not None and self.claim_status is not None:
            held = f" ({self.held_from.label}에서)" if self.held_from is not None else ""
            text += f" / {self.claim_type.label} {self.claim_status.label}{held}"
        return text

    @property
    def terminal(self) -> bool:
        """No action leaves a terminal status."""
        return self.claim_type is None and self.status.terminal


@attrs.frozen
class Edge:
    """One transition: a rule taking one box to another."""

    src: str
    dst: str
    rule_id: str
    action: Action
    actors: tuple[Actor, ...]
    tag: Tag
    source: str
    guards: tuple[str, ...]
    required_params: tuple[str, ...]
    effects: tuple[str, ...]
    claim_after: str  # e.g. "RETURN COLLECTED", "CANCEL → APPROVED (closed)", ""
    to_origin: bool  # the destination is the claim's origin (rejection, 반려)

    @property
    def label(self) -> str:
        """Actor, action, rule id and guard, e.g. ``SELLER return.complete T11``."""
        parts = ["/".join(self.actors), self.action.value, self.rule_id]
        if self.guards:
            parts.append("if " + " & ".join(self.guards))
        if self.to_origin:
            parts.append("back to origin")
        if self.tag is Tag.DECIDED:
            parts.append("(decided)")
        return " ".join(parts)


@attrs.frozen
class Graph:
    """One machine of one marketplace, ready to render."""

    marketplace: Marketplace
    definition: str  # "order", "cancel", "return", "exchange", "option"
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    # a traced journey: (index into edges, step number) pairs
    highlighted: tuple[tuple[int, int], ...] = ()

    def step_of(self, edge_index: int) -> int | None:
        """The journey step that took edge *edge_index*, if any (the last one, if several)."""
        steps = [n for i, n in self.highlighted if i == edge_index]
        return steps[-1] if steps else None

    @property
    def title(self) -> str:
        """E.g. ``토스쇼핑 (toss) · return``."""
        return f"{self.marketplace.label} ({self.marketplace}) · {self.definition}"


def _node_id(key: StateKey) -> str:
    status, ctype, cstatus, _, held = key
    parts = [status.value] + [x.value for x in (ctype, cstatus, held) if x is not None]
    return "__".join(parts)


def extract(marketplace: Marketplace | str, definition: str) -> Graph:
    """The graph of one machine, read from its ``transitions`` events."""
    mp = Marketplace(marketplace)
    compiled = COMPILED[mp]
    machine = compiled.machines[definition]
    keys = {state_name(k): k for k in compiled.states}
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str, str], Edge] = {}
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for t in transitions:
                assert isinstance(t, RuleTransition) and t.dest is not None
                src, dst = keys[source], keys[t.dest]
                for k in (src, dst):
                    nodes.setdefault(_node_id(k), Node(_node_id(k), k[0], k[1], k[2], k[4]))
                r = t.rule
                e = Edge(
                    src=_node_id(src),
                    dst=_node_id(dst),
                    rule_id=r.id,
                    action=Action(name),
                    actors=tuple(a for a in Actor if a in r.actors),
                    tag=r.tag,
                    source=r.source,
                    guards=tuple(g.when for g in r.guards),
                    required_params=tuple(p.name for p in r.params if p.required),
                    effects=tuple(e.value for e in r.effects),
                    claim_after=_claim_after(src, dst, r.claim_type, r.claim_status),
                    to_origin=r.to is Target.ORIGIN,
                )
                edges.setdefault((e.src, e.dst, e.action.value, e.rule_id), e)
    order = {s: i for i, s in enumerate(Status)}
    node_list = sorted(nodes.values(), key=lambda n: (order[n.status], n.id))
    action_order = {a: i for i, a in enumerate(Action)}
    edge_list = sorted(
        edges.values(), key=lambda e: (action_order[e.action], _rule_key(e.rule_id), e.src, e.dst)
    )
    return Graph(mp, definition, tuple(node_list), tuple(edge_list))


def _rule_key(rule_id: str) -> tuple[str, int]:
    m = re.search(r"(\d+)$", rule_id)
    return (rule_id.rstrip("0123456789"), int(m.group(1)) if m else 0)


def _claim_after(
    src: StateKey, dst: StateKey, created: ClaimType | None, closed_as: ClaimStatus | None
) -> str:
    if dst[1] is not None:
        return f"{dst[1]} {dst[2]}"
    ctype = src[1] or created  # a claim closed now, or one recorded closed at once (x2bee)
    if ctype is not None and closed_as is not None:
        return f"{ctype} {closed_as} (closed)"
    return ""


def definitions(marketplace: Marketplace | str) -> tuple[str, ...]:
    """The machines a marketplace has, in a stable order."""
    machines = COMPILED[Marketplace(marketplace)].machines
    return tuple(d for d in DEFINITIONS if d in machines)


# --- renderers ----------------------------------------------------------------------------------

_MERMAID_FORBIDDEN = re.compile(r"[:;#\"{}<>]")


def _mermaid_text(text: str) -> str:
    # Mermaid labels cannot hold ':' or ';' (they end the label); quotes and braces confuse it too.
    return _MERMAID_FORBIDDEN.sub(" ", text).strip()


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``stateDiagram-v2`` text."""
    lines = [
        "---",
        f"title: {_mermaid_text(graph.title)}",
        "---",
        "stateDiagram-v2",
        "    direction LR",
    ]
    for n in graph.nodes:
        lines.append(f'    state "{_mermaid_text(n.label)}" as {n.id}')
    if any(n.id == Status.PAID.value for n in graph.nodes):
        lines.append("    [*] --> PAID")
    for i, e in enumerate(graph.edges):
        step = graph.step_of(i)
        mark = f"step {step} - " if step is not None else ""
        lines.append(f"    {e.src} --> {e.dst} : {_mermaid_text(mark + e.label)}")
    for n in graph.nodes:
        if n.terminal:
            lines.append(f"    {n.id} --> [*]")
    visited = sorted(
        {graph.edges[i].dst for i, _ in graph.highlighted}
        | {graph.edges[i].src for i, _ in graph.highlighted}
    )
    if visited:
        lines.append("    classDef visited fill:#ffe08a,stroke:#c47f00,stroke-width:2px")
        lines.append(f"    class {','.join(visited)} visited")
    terminal = [n.id for n in graph.nodes if n.terminal]
    if terminal:
        lines.append("    classDef terminal fill:#eeeeee,stroke:#555555,stroke-width:3px")
        lines.append(f"    class {','.join(terminal)} terminal")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text: decided rules dashed, terminal statuses double-circled."""
    lines = [
        f'digraph "{graph.marketplace}_{graph.definition}" {{',
        f'  label="{_dot_text(graph.title)}"; labelloc=t; rankdir=TB;',
        '  fontname="NanumGothic,Noto Sans CJK KR,sans-serif";',
        '  node [shape=box, style="rounded", fontname="NanumGothic,Noto Sans CJK KR,sans-serif"];',
        '  edge [fontname="NanumGothic,Noto Sans CJK KR,sans-serif", fontsize=10];',
    ]
    for n in graph.nodes:
        shape = ", shape=doubleoctagon" if n.terminal else ""
        lines.append(f'  {n.id} [label="{_dot_text(n.label.replace(" / ", chr(10)))}"{shape}];')
    for i, e in enumerate(graph.edges):
        attrs_ = [f'label="{_dot_text(e.label)}"']
        if e.tag is Tag.DECIDED:
            attrs_.append("style=dashed")
        step = graph.step_of(i)
        if step is not None:
            attrs_ += ["color=red", "penwidth=3", f'xlabel="step {step}"']
        lines.append(f"  {e.src} -> {e.dst} [{', '.join(attrs_)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(graph: Graph) -> str:
    """A Markdown transition table, one row per rule and source box."""
    labels = {n.id: n.label for n in graph.nodes}
    lines = [
        f"### {graph.title}",
        "",
        "| from | actor | action | required params | to | claim after | effects | rule | source "
        "| tag |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in graph.edges:
        guard = f" (if {' & '.join(e.guards)})" if e.guards else ""
        to = labels[e.dst] + (" (origin)" if e.to_origin else "")
        lines.append(
            "| "
            + " | ".join(
                _md(x)
                for x in (
                    labels[e.src],
                    "/".join(e.actors),
                    f"`{e.action}`{guard}",
                    ", ".join(e.required_params) or "—",
                    to,
                    e.claim_after or "—",
                    ", ".join(e.effects) or "—",
                    e.rule_id,
                    f"`{e.source}`",
                    e.tag.value,
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


# --- tracing a journey ----------------------------------------------------------------------------


def trace(
    marketplace: Marketplace | str, steps: Sequence[str], start: Status = Status.PAID
) -> tuple[Graph, ...]:
    """The machines of *marketplace* with the journey of *steps* highlighted, in order.

    Each step is ``action`` or ``action@ACTOR`` (the actor defaults to the first one the rule
    allows). Parameters get example values. A step that is refused raises ActionRefusedError.
    """
    mp = Marketplace(marketplace)
    op = OrderProduct("trace", mp, start, "ITEM", 10_000)
    used: list[tuple[str, str, str, Action]] = []
    for step in steps:
        action_s, _, actor_s = step.partition("@")
        action = Action(action_s)
        actor = Actor(actor_s) if actor_s else _default_actor(op, action)
        before = _node_id((op.status, *_claim(op)))
        done = apply(op, action, actor, **example_params(op, action))
        used.append(
            (
                before,
                _node_id((done.order_product.status, *_claim(done.order_product))),
                done.event.rule_id,
                action,
            )
        )
        op = done.order_product
    graphs = []
    for d in definitions(mp):
        g = extract(mp, d)
        index = {(e.src, e.dst, e.rule_id, e.action): i for i, e in enumerate(g.edges)}
        taken = [(index[u], n) for n, u in enumerate(used, 1) if u in index]
        graphs.append(attrs.evolve(g, highlighted=tuple(taken)))
    return tuple(graphs)


def _claim(
    op: OrderProduct,
) -> tuple[ClaimType | None, ClaimStatus | None, None, ClaimStatus | None]:
    c = op.open_claim
    return (None, None, None, None) if c is None else (c.type, c.status, None, c.held_from)


def _default_actor(op: OrderProduct, action: Action) -> Actor:
    for steps in COMPILED[op.marketplace].table.values():
        for s in steps:
            if s.rule.action is action:
                return min(s.actors, key=list(Actor).index)
    return Actor.SELLER


# --- files ----------------------------------------------------------------------------------------


def render(graph: Graph, fmt: str) -> str:
    """*graph* in text format *fmt* (``mmd``, ``dot`` or ``md``)."""
    if fmt == "mmd":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "md":
        return to_markdown(graph)
    msg = f"format: unknown {fmt!r}; expected one of {', '.join(TEXT_FORMATS)}"
    raise ValueError(msg)


def svg(dot_source: str) -> bytes:
    """SVG rendered by Graphviz's ``dot`` (Debian package ``graphviz``)."""
    exe = shutil.which("dot")
    if exe is None:
        msg = "Graphviz's `dot` is not installed (Debian: apt-get install graphviz)"
        raise FileNotFoundError(msg)
    done = subprocess.run(
        [exe, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True
    )
    return done.stdout


def outputs(marketplaces: Iterable[Marketplace], formats: Iterable[str]) -> dict[str, str | bytes]:
    """Every generated file, by relative path: ``toss/return.mmd``, ..., and ``README.md``."""
    files: dict[str, str | bytes] = {}
    fmts = list(formats)
    mps = list(marketplaces)
    for mp in mps:
        for d in definitions(mp):
            g = extract(mp, d)
            for fmt in fmts:
                if fmt == "svg":
                    files[f"{mp}/{d}.svg"] = svg(to_dot(g))
                else:
                    files[f"{mp}/{d}.{fmt}"] = render(g, fmt)
    files["README.md"] = _index(mps)
    return files


def _index(mps: Sequence[Marketplace]) -> str:
    lines = [
        "# Claim state diagrams",
        "",
        "Generated by `claimflow diagrams` from the machines the engine runs; do not edit by hand.",
        "CI fails when these files differ from what the code generates.",
        "",
        "Boxes: order-product status (Korean label and id) and, after `/`, the open claim. Edges:",
        "actor, action, rule id, guard; `back to origin` returns to the status the claim was",
        "requested in; `(decided)` marks a rule no source document states (dashed in the SVGs).",
        "Grey boxes with a thick border are terminal.",
        "",
    ]
    for mp in mps:
        lines += [f"## {mp.label} ({mp})", ""]
        for d in definitions(mp):
            links = [f"[{f}]({mp}/{d}.{f})" for f in ("svg", "md", "dot", "mmd")]
            lines += [f"### {d}", "", " · ".join(links), "", "```mermaid"]
            lines.append(to_mermaid(extract(mp, d)).rstrip("\n"))
            lines += ["```", ""]
    return "\n".join(lines)


def write_all(out: Path, marketplaces: Iterable[Marketplace], formats: Iterable[str]) -> list[Path]:
    """Write every output under *out*; returns the paths written."""
    written = []
    for rel, content in outputs(marketplaces, formats).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def stale(out: Path, marketplaces: Iterable[Marketplace]) -> list[str]:
    """The text outputs under *out* that differ from what the code generates (or are missing)."""
    problems = []
    for rel, content in outputs(marketplaces, TEXT_FORMATS).items():
        path = out / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"{rel}: differs from the generated text")
    return problems
