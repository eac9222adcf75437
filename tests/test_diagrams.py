"""Diagrams and tables generated from the machines, and the checked-in copies under diagrams/."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import claimflow as cf
from claimflow import _diagrams as d
from claimflow.cli import main
from claimflow.exceptions import ActionRefusedError

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = ROOT / "diagrams"


class TestCheckedIn:
    def test_text_outputs_are_fresh(self) -> None:
        """diagrams/ holds exactly what the code generates (`claimflow diagrams` remakes it)."""
        assert [] == d.stale(DIAGRAMS, list(cf.Marketplace))

    def test_every_machine_has_a_parseable_svg(self) -> None:
        """Each checked-in SVG exists and is well-formed XML with an <svg> root."""
        for mp in cf.Marketplace:
            for definition in d.definitions(mp):
                root = ET.parse(DIAGRAMS / mp.value / f"{definition}.svg").getroot()
                assert root.tag.endswith("svg")

    def test_readme_embeds_every_mermaid_diagram(self) -> None:
        """diagrams/README.md has one mermaid block per marketplace and machine."""
        text = (DIAGRAMS / "README.md").read_text(encoding="utf-8")
        expected = sum(len(d.definitions(mp)) for mp in cf.Marketplace)
        assert expected == text.count("```mermaid")


class TestRenderers:
    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_every_rule_appears_in_the_tables(self, mp: cf.Marketplace) -> None:
        """Each rule id of a marketplace is a row of one of its generated tables."""
        tables = "".join(d.to_markdown(d.extract(mp, x)) for x in d.definitions(mp))
        for rule in cf.rules(mp):
            assert f"| {rule.id} |" in tables

    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_mermaid_labels_hold_no_colon_or_semicolon(self, mp: cf.Marketplace) -> None:
        """Mermaid ends a label at ':' or ';', so edge and state labels carry neither."""
        for definition in d.definitions(mp):
            for line in d.to_mermaid(d.extract(mp, definition)).splitlines():
                if "-->" in line:
                    label = line.split(" : ", 1)[1] if " : " in line else ""
                    assert not re.search("[:;]", label), line
                if line.strip().startswith("state "):
                    assert ";" not in line and ":" not in line, line

    def test_decided_rules_are_dashed_and_documented_ones_solid(self) -> None:
        """In DOT, F5 (decided) is dashed and F1 (documented) is not."""
        dot = d.to_dot(d.extract("toss", "order"))
        confirm = next(x for x in dot.splitlines() if "order.confirm F5" in x)
        prepare = next(x for x in dot.splitlines() if "order.prepare F1" in x)
        assert "style=dashed" in confirm
        assert "style=dashed" not in prepare

    def test_terminal_statuses_are_marked(self) -> None:
        """Terminal statuses end in [*] in Mermaid and are double octagons in DOT."""
        g = d.extract("toss", "cancel")
        assert "    CANCELED --> [*]" in d.to_mermaid(g).splitlines()
        assert 'CANCELED [label="결제취소 CANCELED", shape=doubleoctagon];' in d.to_dot(g)

    def test_origin_edges_say_so(self) -> None:
        """반려 after collection leads to each possible origin and is labelled as such."""
        g = d.extract("toss", "return")
        dests = {e.dst for e in g.edges if e.action is cf.Action.RETURN_REJECT_COLLECTED}
        assert {"SHIPPING", "DELIVERED", "EXCHANGED"} == dests
        assert all(e.to_origin for e in g.edges if e.action is cf.Action.RETURN_REJECT_COLLECTED)

    @pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
    def test_svg_renders_with_graphviz(self) -> None:
        """dot turns the generated DOT into an SVG that names the Korean statuses."""
        svg = d.svg(d.to_dot(d.extract("imweb", "return"))).decode()
        assert "<svg" in svg
        assert "반품수거완료" in svg


class TestTrace:
    def test_trace_numbers_the_journey_across_machines(self) -> None:
        """A traced journey highlights each step's edge with its step number, in every machine."""
        steps = ["order.prepare", "cancel.request", "cancel.reject@SELLER", "order.deliver"]
        graphs = {g.definition: g for g in d.trace("toss", steps)}
        taken = {
            (g.edges[i].rule_id, n) for g in graphs.values() for i, n in g.highlighted
        }
        assert {("F1", 1), ("T2", 2), ("T4", 3), ("F4", 4)} == taken
        assert "step 3 - SELLER cancel.reject T4" in d.to_mermaid(graphs["cancel"])

    def test_a_refused_step_stops_the_trace(self) -> None:
        """A journey that breaks a rule is refused with the engine's reason."""
        with pytest.raises(ActionRefusedError) as exc:
            d.trace("toss", ["order.prepare", "return.request"])
        assert ("WRONG_STATUS",) == exc.value.decision.codes


class TestCli:
    def test_check_fails_on_a_drifted_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow diagrams --check` exits 1 and names the file that differs."""
        out = tmp_path / "diagrams"
        assert 0 == main(["diagrams", "--out", str(out), "--format", "mmd", "--format", "dot",
                          "--format", "md", "--marketplace", "x2bee"])
        assert 0 == main(["diagrams", "--check", "--out", str(out), "--marketplace", "x2bee"])
        (out / "x2bee" / "option.mmd").write_text("stateDiagram-v2\n", encoding="utf-8")
        assert 1 == main(["diagrams", "--check", "--out", str(out), "--marketplace", "x2bee"])
        assert "x2bee/option.mmd: differs" in capsys.readouterr().err

    def test_trace_prints_mermaid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--trace` prints the machines the journey touched, with the steps numbered."""
        assert 0 == main(["diagrams", "--marketplace", "x2bee", "--trace", "option.change"])
        out = capsys.readouterr().out
        assert "step 1 - BUYER option.change X2" in out

    def test_trace_needs_one_marketplace(self) -> None:
        """Tracing over several marketplaces at once is a usage error."""
        with pytest.raises(SystemExit):
            main(["diagrams", "--trace", "order.prepare"])
