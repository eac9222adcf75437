"""The command line and the offline demo."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import claimflow as cf
from claimflow._json import dumps, from_json
from claimflow.cli import main


class TestDemo:
    def test_demo_walks_every_marketplace(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo prints a cancel, a return and an exchange for each of the three marketplaces."""
        assert 0 == main(["demo"])
        out = capsys.readouterr().out
        for mp in ("토스쇼핑 (toss)", "아임웹 (imweb)", "x2bee (x2bee)"):
            assert mp in out
        assert 9 == out.count("--- ")  # 3 walks x 3 marketplaces

    def test_demo_shows_refusals_in_korean_and_english(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """At least one refused step is printed with its reason in both languages."""
        main(["demo"])
        out = capsys.readouterr().out
        assert "✗ 불가 / refused  order.ship by SELLER" in out
        assert "ko: order.ship(발송)의 조건은" in out
        assert "en: order.ship needs no open claim" in out
        assert "en: imweb does not offer return.reject_collected" in out

    def test_demo_shows_collection_rejection_back_to_origin(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """반려 after collection goes back to the status the return was requested in."""
        main(["demo"])
        out = capsys.readouterr().out
        expected = (
            "✓ return.reject_collected by SELLER: → DELIVERED, claim RETURN → COLLECTION_REJECTED"
        )
        assert expected in out
        assert "✓ exchange.change_invoice by SELLER: → REDELIVERING" in out

    def test_console_entry_point_runs(self) -> None:
        """`python -m claimflow demo` exits 0 without network or credentials."""
        done = subprocess.run(
            [sys.executable, "-m", "claimflow", "demo"], capture_output=True, text=True, check=False
        )
        assert 0 == done.returncode, done.stderr
        assert "rule T12" in done.stdout

    def test_unknown_command_is_an_error(self) -> None:
        """An unknown sub-command exits with argparse's usage error."""
        with pytest.raises(SystemExit) as exc:
            main(["nonsense"])
        assert 2 == exc.value.code


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


class TestCheck:
    def test_refused_exits_1_with_korean_reason(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A buyer cancel of a delivered Toss product is refused (exit 1) with the rule ids."""
        code = main(
            ["check", "toss", "cancel.request", "--actor", "BUYER", "--status", "DELIVERED"]
        )
        out = capsys.readouterr().out
        assert 1 == code
        assert "✗ 불가: cancel.request (취소 요청) · 구매자(BUYER)" in out
        assert "WRONG_STATUS: 구매자는 결제완료, 상품준비중, 발송지연 상태에서만" in out
        assert "[T1, T2]" in out

    def test_allowed_exits_0_in_english(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An allowed return request exits 0 and says where it leads, in English."""
        argv = [
            "check",
            "toss",
            "return.request",
            "--actor",
            "BUYER",
            "--status",
            "DELIVERED",
            "--param",
            "reason=size",
            "--lang",
            "en",
        ]
        assert 0 == main(argv)
        out = capsys.readouterr().out
        assert "✓ allowed: return.request · BUYER · rule T6" in out
        assert "→ DELIVERED, claim RETURN REQUESTED" in out

    def test_params_are_typed_as_the_action_takes_them(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """extra_charge becomes won (an int) and lowers the refund; a date parses as a date."""
        argv = [
            "check",
            "imweb",
            "return.complete",
            "--actor",
            "SELLER",
            "--status",
            "RETURN_COLLECTED",
            "--claim",
            "RETURN:COLLECTED",
            "--param",
            "extra_charge=3000",
            "--unit-price",
            "20000",
            "--json",
        ]
        assert 0 == main(argv)
        effects = _json_out(capsys)["decision"]["effects"]  # type: ignore[index]
        assert {
            "kind": "REFUND",
            "amount": 17000,
            "carrier": None,
            "tracking_number": None,
        } == effects[0]
        argv = [
            "check",
            "toss",
            "order.delay",
            "--actor",
            "SELLER",
            "--status",
            "PREPARING",
            "--param",
            "shipping_deadline=2099-01-31",
        ]
        assert 0 == main(argv)

    def test_guard_refusal_from_flags(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--no-auto-refund makes imweb's return.complete refused, naming the action to use."""
        argv = [
            "check",
            "imweb",
            "return.complete",
            "--actor",
            "SELLER",
            "--status",
            "RETURN_COLLECTED",
            "--claim",
            "RETURN:COLLECTED",
            "--no-auto-refund",
        ]
        assert 1 == main(argv)
        assert "return.force_complete를 사용하세요 [I13]" in capsys.readouterr().out

    def test_json_schema(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints the documented envelope: schema, version, order_product, decision."""
        argv = [
            "check",
            "toss",
            "cancel.request",
            "--actor",
            "BUYER",
            "--status",
            "PAID",
            "--param",
            "reason=변심",
            "--json",
        ]
        assert 0 == main(argv)
        data = _json_out(capsys)
        assert ["schema", "version", "order_product", "decision"] == list(data)
        assert ("claimflow.check", 1) == (data["schema"], data["version"])
        decision = data["decision"]
        assert isinstance(decision, dict)
        assert (True, "CANCELED", "T1") == (
            decision["allowed"],
            decision["to_status"],
            decision["rule_id"],
        )
        assert {"reason": "변심"} == decision["params"]

    def test_json_decision_reads_back(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The JSON decision converts back to the same Decision through claimflow._json."""
        argv = [
            "check",
            "toss",
            "return.request",
            "--actor",
            "BUYER",
            "--status",
            "SHIPPING",
            "--json",
        ]
        assert 1 == main(argv)
        data = _json_out(capsys)
        decision = from_json(data["decision"], cf.Decision)
        op = cf.OrderProduct("cli", "toss", "SHIPPING", "ITEM", 10_000)
        assert cf.check(op, "return.request", "BUYER") == decision

    def test_order_from_file_and_stdin(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--order FILE and --order - read the order product as JSON."""
        op = cf.OrderProduct(
            "op-9",
            "imweb",
            "PREPARING",
            "A",
            15_000,
            open_claim=cf.Claim("c1", "CANCEL", "REQUESTED", "PREPARING"),
        )
        path = tmp_path / "op.json"
        path.write_text(dumps(op), encoding="utf-8")
        argv = ["check", "imweb", "cancel.approve", "--actor", "SELLER", "--json"]
        assert 0 == main([*argv, "--order", str(path)])
        assert "op-9" == _json_out(capsys)["order_product"]["id"]  # type: ignore[index]
        monkeypatch.setattr("sys.stdin", io.StringIO(dumps(op)))
        assert 0 == main([*argv, "--order", "-"])
        assert "CANCELED" == _json_out(capsys)["decision"]["to_status"]  # type: ignore[index]

    def test_bad_order_json_exits_2_naming_the_field(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A wrong status in the JSON exits 2 naming the path and the valid statuses."""
        path = tmp_path / "op.json"
        path.write_text(
            '{"id": "x", "marketplace": "toss", "status": "SHIPPED", "item_id": "i", '
            '"unit_price": 1}',
            encoding="utf-8",
        )
        argv = ["check", "toss", "cancel.request", "--actor", "BUYER", "--order", str(path)]
        assert 2 == main(argv)
        err = capsys.readouterr().err
        assert "$.status" in err
        assert "expected one of PAID, PREPARING" in err

    def test_unknown_action_lists_the_marketplace_actions(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown action exits 2 and lists what this marketplace offers."""
        assert 2 == main(["check", "x2bee", "cancel.nope", "--actor", "BUYER", "--status", "PAID"])
        err = capsys.readouterr().err
        assert "unknown action 'cancel.nope'; x2bee offers: cancel.request, return.request" in err
        assert "option.change" in err

    def test_unknown_status_lists_the_statuses(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown --status is a usage error (exit 2) listing the statuses."""
        with pytest.raises(SystemExit) as exc:
            main(["check", "toss", "cancel.request", "--actor", "BUYER", "--status", "NOPE"])
        assert 2 == exc.value.code
        assert "'PAID', 'PREPARING'" in capsys.readouterr().err

    def test_impossible_claim_lists_the_possible_ones(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A claim that cannot sit on that status exits 2 and names the ones that can."""
        argv = [
            "check",
            "toss",
            "return.approve",
            "--actor",
            "SELLER",
            "--status",
            "DELIVERED",
            "--claim",
            "RETURN:APPROVED",
        ]
        assert 2 == main(argv)
        assert "with DELIVERED: EXCHANGE:REQUESTED:DELIVERED, RETURN:REQUESTED:DELIVERED" in (
            capsys.readouterr().err
        )

    def test_unknown_parameter_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A parameter the action does not take is bad input naming what it takes."""
        argv = [
            "check",
            "toss",
            "return.request",
            "--actor",
            "BUYER",
            "--status",
            "DELIVERED",
            "--param",
            "reasn=x",
        ]
        assert 2 == main(argv)
        assert "does not take 'reasn'; it takes reason" in capsys.readouterr().err

    def test_no_order_product_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --status or --order the command says how to name the order product."""
        assert 2 == main(["check", "toss", "cancel.request", "--actor", "BUYER"])
        assert "--status STATUS" in capsys.readouterr().err


class TestActions:
    def test_lists_allowed_and_refused_per_actor(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Each actor's allowed actions say where they lead; refused ones say why."""
        argv = ["actions", "toss", "--status", "DELIVERED", "--claim", "RETURN:REQUESTED"]
        assert 0 == main(argv)
        out = capsys.readouterr().out
        assert "✓ return.approve (반품 승인(수거 지시)) → 반품수거중(RETURN_COLLECTING)" in out
        assert "✗ return.withdraw: 반품 철회는 구매자만 할 수 있습니다(판매자 불가) [T7]" in out
        assert "시스템(SYSTEM)\n  가능: —" in out

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json gives per actor the options with allowed, rule id, effects and reasons."""
        argv = [
            "actions",
            "x2bee",
            "--status",
            "PAID",
            "--actor",
            "BUYER",
            "--allowed-only",
            "--json",
        ]
        assert 0 == main(argv)
        data = _json_out(capsys)
        assert ("claimflow.actions", 1) == (data["schema"], data["version"])
        (buyer,) = data["actors"]  # type: ignore[misc]
        assert "BUYER" == buyer["actor"]
        assert [("cancel.request", "X1"), ("option.change", "X2")] == [
            (o["action"], o["rule_id"]) for o in buyer["options"]
        ]
        assert ["REFUND", "RESTORE_COUPONS", "RESTORE_STOCK", "NOTIFY_BUYER"] == (
            buyer["options"][0]["effects"]
        )


class TestStartup:
    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--version prints the installed version."""
        with pytest.raises(SystemExit) as exc:
            main(["--version"])
        assert 0 == exc.value.code
        assert capsys.readouterr().out.startswith("claimflow 0.")

    def test_version_loads_no_generator_nor_cattrs(self) -> None:
        """--version imports no generator, no cattrs and no adapter (start-up stays fast)."""
        code = (
            "import sys\nfrom claimflow.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m in "
            "('claimflow._diagrams', 'claimflow._opsguide', 'cattrs', "
            "'httpx', 'claimflow.adapters')))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert "[]" == done.stdout.strip().splitlines()[-1]
