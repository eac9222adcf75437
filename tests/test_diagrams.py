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
        dot = d.to_dot(d.extract("toss", "order"), lang="en")
        confirm = next(x for x in dot.splitlines() if "order.confirm\\nF5" in x)
        prepare = next(x for x in dot.splitlines() if "order.prepare\\nF1" in x)
        assert "style=dashed" in confirm
        assert "style=dashed" not in prepare

    def test_terminal_statuses_are_marked(self) -> None:
        """Terminal statuses end in [*] in Mermaid and are double octagons in DOT."""
        g = d.extract("toss", "cancel")
        assert "    CANCELED --> [*]" in d.to_mermaid(g).splitlines()
        assert 'CANCELED [label="결제취소", shape=doubleoctagon];' in d.to_dot(g)

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
        taken = {(g.edges[i].rule_id, n) for g in graphs.values() for i, n in g.highlighted}
        assert {("F1", 1), ("T2", 2), ("T4", 3), ("F4", 4)} == taken
        assert "step 3 - 판매자 취소 거절(발송) T4" in d.to_mermaid(graphs["cancel"])
        assert "step 3 - SELLER cancel.reject T4" in d.to_mermaid(graphs["cancel"], lang="en")

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
        assert 0 == main(
            [
                "diagrams",
                "--out",
                str(out),
                "--format",
                "mmd",
                "--format",
                "dot",
                "--format",
                "md",
                "--marketplace",
                "x2bee",
            ]
        )
        assert 0 == main(["diagrams", "--check", "--out", str(out), "--marketplace", "x2bee"])
        (out / "x2bee" / "option.mmd").write_text("stateDiagram-v2\n", encoding="utf-8")
        assert 1 == main(["diagrams", "--check", "--out", str(out), "--marketplace", "x2bee"])
        assert "x2bee/option.mmd: differs" in capsys.readouterr().err

    def test_trace_prints_mermaid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--trace` prints the machines the journey touched, with the steps numbered."""
        assert 0 == main(["diagrams", "--marketplace", "x2bee", "--trace", "option.change"])
        out = capsys.readouterr().out
        assert "step 1 - 구매자 옵션 변경 X2" in out

    def test_trace_needs_one_marketplace(self) -> None:
        """Tracing over several marketplaces at once is a usage error."""
        with pytest.raises(SystemExit):
            main(["diagrams", "--trace", "order.prepare"])


class TestReadable:
    def test_toss_seller_cancel_is_drawn_once(self) -> None:
        """The sixteen Toss cancel.by_seller T5 edges are one fan from a note naming the statuses,
        those a claim moved the line to included (rules.md T5 this turn)."""
        g = d.extract("toss", "cancel")
        assert 16 == sum(1 for e in g.edges if e.rule_id == "T5")
        drawing = d.fold(g)
        assert [] == [e for _, e, _ in drawing.edges if e.rule_id == "T5"]
        (fan,) = drawing.fans
        assert ("T5", "CANCELED") == (fan.rule_id, fan.dst)
        expected = "판매자 직접 취소 T5 - 결제완료, 상품준비중, 발송지연, 배송중, 배송완료에서"
        assert fan.text().startswith(expected)
        assert "진행 중인 클레임이 있어도" in fan.text()
        moved = (
            "클레임 진행 중인 반품수거중, 반품수거완료, 교환수거중, 교환수거완료, 재배송중에서도"
        )
        assert fan.text().endswith(moved)
        edges = [x for x in d.to_mermaid(g).splitlines() if " : " in x and "T5" in x]
        assert [] == edges  # the fan's own edge carries no label; the note names T5
        assert 1 == d.to_mermaid(g).count(f"    {fan.id} --> CANCELED\n")

    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_no_orphan_boxes(self, mp: cf.Marketplace) -> None:
        """Every drawn box has an edge or a fan touching it."""
        for definition in d.definitions(mp):
            drawing = d.fold(d.extract(mp, definition))
            touched = {e.src for _, e, _ in drawing.edges} | {e.dst for _, e, _ in drawing.edges}
            touched |= {f.dst for f in drawing.fans}
            assert [] == [n.id for n in drawing.nodes if n.id not in touched], definition

    def test_order_diagram_says_delivery_keeps_a_request(self) -> None:
        """F4 with an open return/exchange request is said on the plain delivery edge."""
        drawing = d.fold(d.extract("toss", "order"))
        assert [] == [n.id for n in drawing.nodes if n.claim_type is not None]
        extras = [x for _, e, x in drawing.edges if e.action is cf.Action.ORDER_DELIVER]
        assert [" (교환·반품 요청이 있어도, 결정)"] == extras

    def test_edge_labels_are_korean_with_the_rule_id(self) -> None:
        """Edges read in Korean with the rule id; --lang en gives the English ids."""
        g = d.extract("imweb", "return")
        ko, en = d.to_mermaid(g), d.to_mermaid(g, lang="en")
        assert "판매자 반품 완료(환불) I13 [자동 환불이 되는 결제(카드·간편결제)일 때]" in ko
        assert "SELLER return.complete I13 if auto refund" in en
        assert "return.complete" not in ko.split("stateDiagram-v2", 1)[1]

    def test_mermaid_keeps_korean_words_whole(self) -> None:
        """The Mermaid theme CSS asks browsers not to break inside Korean words."""
        text = d.to_mermaid(d.extract("toss", "return"))
        assert "word-break: keep-all" in text.split("---")[1]

    def test_every_output_carries_the_marker(self) -> None:
        """Each generated text file holds the 'generated by claimflow' marker near its top."""
        for rel, content in d.outputs([cf.Marketplace.X2BEE], d.TEXT_FORMATS).items():
            assert isinstance(content, str)
            assert d.MARKER in content[:400], rel

    @pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_svgs_fit_an_a4_page(self, mp: cf.Marketplace) -> None:
        """Every SVG is at most an A4 landscape page less margins (756 x 504 pt)."""
        for definition in d.definitions(mp):
            svg = d.svg(d.to_dot(d.extract(mp, definition))).decode()
            assert d.MARKER in svg[:300]
            m = re.search(r'width="(\d+)pt" height="(\d+)pt"', svg)
            assert m is not None
            assert int(m.group(1)) <= 756 and int(m.group(2)) <= 504, (definition, m.groups())


class TestSafeWrite:
    def test_refuses_to_overwrite_a_users_file(self, tmp_path: Path) -> None:
        """A file without the marker stops the whole write; nothing is written."""
        user = tmp_path / "README.md"
        user.write_text("# my diagrams\n", encoding="utf-8")
        with pytest.raises(d.NotGeneratedError) as exc:
            d.write_generated(tmp_path, {"README.md": "x", "a.md": "y"})
        assert "README.md" in str(exc.value)
        assert "# my diagrams\n" == user.read_text(encoding="utf-8")
        assert not (tmp_path / "a.md").exists()

    def test_overwrites_its_own_files_and_force_overwrites_any(self, tmp_path: Path) -> None:
        """A marked file is regenerated; --force overwrites an unmarked one."""
        (tmp_path / "a.md").write_text(f"<!-- {d.MARKER} -->\nold\n", encoding="utf-8")
        (tmp_path / "b.md").write_text("mine\n", encoding="utf-8")
        d.write_generated(tmp_path, {"a.md": "new"})
        assert "new" == (tmp_path / "a.md").read_text(encoding="utf-8")
        d.write_generated(tmp_path, {"b.md": "forced"}, force=True)
        assert "forced" == (tmp_path / "b.md").read_text(encoding="utf-8")

    def test_cli_diagrams_in_a_users_dir_exits_2(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`claimflow diagrams` where diagrams/README.md is the user's leaves it and exits 2."""
        monkeypatch.chdir(tmp_path)
        (tmp_path / "diagrams").mkdir()
        (tmp_path / "diagrams" / "README.md").write_text("mine\n", encoding="utf-8")
        assert 2 == main(["diagrams", "--format", "mmd", "--marketplace", "x2bee"])
        assert "not generated by claimflow" in capsys.readouterr().err
        assert "mine\n" == (tmp_path / "diagrams" / "README.md").read_text(encoding="utf-8")
        assert not (tmp_path / "diagrams" / "x2bee").exists()
