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
        refund = effects[0]
        assert ("REFUND", 17000) == (refund["kind"], refund["amount"])
        # rules.md M6: the extra charge is a part of the quote, the refund what it leaves
        assert (3000, 17000) == (refund["quote"]["extra_charges"], refund["quote"]["refund"])
        argv = [
            "check",
            "toss",
            "order.delay",
            "--actor",
            "SELLER",
            "--status",
            "PREPARING",
            "--param",
            "shipping_deadline=2026-03-09",
            "--now",
            "2026-03-02T10:00:00+09:00",
        ]
        assert 0 == main(argv)
        # rules.md D5: the new deadline is at most 14 days out (as of --now)
        argv[-3] = "shipping_deadline=2026-03-17"
        assert 1 == main(argv)
        assert "2026-03-16" in capsys.readouterr().out

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
        decision = _json_out(capsys)["decision"]
        # rules.md I3: approving refunds first; the line stays 상품준비중 while the claim refunds
        assert ("PREPARING", "REFUNDING") == (decision["to_status"], decision["claim_status"])  # type: ignore[index]

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
        # rules.md M4 (who bears the return) and Q1-Q3 (how many units) are parameters too
        assert "does not take 'reasn'; it takes fee_payer, quantity, reason" in (
            capsys.readouterr().err
        )

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


def _toss(op_id: str, status: str, **kw: object) -> dict[str, object]:
    return {
        "id": op_id,
        "marketplace": "toss",
        "status": status,
        "item_id": "A",
        "unit_price": 10_000,
        **kw,
    }


#: A Toss cancel request made on Friday 2026-02-27; 3월 2일 is the substitute holiday of 삼일절.
CANCEL_ASKED = _toss(
    "op-cancel",
    "PREPARING",
    paid_at="2026-02-27T09:00:00+09:00",
    open_claim={
        "id": "c-1",
        "type": "CANCEL",
        "status": "REQUESTED",
        "origin_status": "PREPARING",
        "requested_at": "2026-02-27T15:00:00+09:00",
    },
)
DELIVERED = _toss("op-delivered", "DELIVERED", delivered_at="2026-02-25T18:00:00+09:00")
NOW = "2026-03-04T10:00:00+09:00"


def _due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], orders: object, *argv: str
) -> tuple[int, str]:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(orders), encoding="utf-8")
    code = main(["due", "--order", str(path), *argv])
    return code, capsys.readouterr().out


class TestDue:
    def test_soonest_first_with_the_allowed_actions(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Order products come soonest deadline first, each with its deadlines and the seller's
        allowed actions; business days skip the weekend and the 3월 2일 substitute holiday."""
        code, out = _due(tmp_path, capsys, [CANCEL_ASKED, DELIVERED], "--now", NOW)
        assert 0 == code
        assert out.index("op-delivered") < out.index("op-cancel")
        block = out.split("op-cancel · ", 1)[1]
        expected = [
            "  - 2026-03-05 24:00까지 · 발송 기한 (D3) · 놓치면 벌점 1점",
            "  - 2026-03-05 24:00까지 · 클레임 처리 기한 (D4) · 놓치면 벌점 3점",
            "  - 2026-03-11 24:00까지 · 취소 요청 자동 승인 (D1) · 기한이 지나면 토스쇼핑이 "
            "자동 취소 승인(cancel.approve)",
            "  가능 · 판매자(SELLER): cancel.approve, cancel.reject, cancel.by_seller",
        ]
        assert expected == block.splitlines()[1:5]

    def test_json_schema(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--json gives the documented envelope; each entry its next deadline, all of them and
        the allowed actions; a single object is read as a list of one."""
        code, out = _due(tmp_path, capsys, CANCEL_ASKED, "--now", NOW, "--json")
        assert 0 == code
        data = json.loads(out)
        assert ["schema", "version", "now", "actor", "overdue", "order_products"] == list(data)
        assert ("claimflow.due", 1, NOW, "SELLER", False) == (
            data["schema"],
            data["version"],
            data["now"],
            data["actor"],
            data["overdue"],
        )
        (entry,) = data["order_products"]
        assert ["order_product", "next", "deadlines", "allowed_actions"] == list(entry)
        assert "op-cancel" == entry["order_product"]["id"]
        assert ["D3", "D4", "D1"] == [d["rule_id"] for d in entry["deadlines"]]
        assert entry["deadlines"][0] == entry["next"]
        auto = entry["deadlines"][2]
        assert ("2026-03-11", "2026-03-12T00:00:00+09:00", "cancel.approve", "c-1") == (
            auto["last_day"],
            auto["due_at"],
            auto["system_action"],
            auto["claim_id"],
        )
        assert ["cancel.approve", "cancel.reject", "cancel.by_seller"] == entry["allowed_actions"]

    def test_overdue_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A deadline that has passed is marked and makes the exit status 1."""
        later = "2026-03-06T10:00:00+09:00"
        code, out = _due(tmp_path, capsys, [CANCEL_ASKED], "--now", later, "--lang", "en")
        assert 1 == code
        d4 = "  ! by end of 2026-03-05 · UNTOUCHED_CLAIM (D4) · missing it costs 3 penalty points"
        assert f"{d4} · OVERDUE\n" in out
        assert "  - by end of 2026-03-11 · AUTO_APPROVAL (D1)" in out

    def test_shop_holidays_and_preparation_days_move_the_deadline(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A shop holiday is no business day; --preparation-days is D3's number of days."""
        paid = _toss("op-paid", "PAID", paid_at="2026-03-03T09:00:00+09:00")
        argv = ["--now", NOW, "--json"]
        _, out = _due(tmp_path, capsys, paid, *argv)
        assert "2026-03-06" == json.loads(out)["order_products"][0]["next"]["last_day"]
        _, out = _due(tmp_path, capsys, paid, *argv, "--shop-holiday", "2026-03-05")
        assert "2026-03-09" == json.loads(out)["order_products"][0]["next"]["last_day"]
        _, out = _due(tmp_path, capsys, paid, *argv, "--preparation-days", "1")
        assert "2026-03-04" == json.loads(out)["order_products"][0]["next"]["last_day"]

    def test_other_marketplaces_have_open_claims_but_no_deadline(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """imweb's open claim comes after every deadline, said to have none; a line with neither
        a deadline nor an open claim is left out."""
        claim = {"id": "c", "type": "RETURN", "status": "REQUESTED", "origin_status": "DELIVERED"}
        imweb = {**_toss("op-imweb", "DELIVERED"), "marketplace": "imweb", "open_claim": claim}
        quiet = {**_toss("op-quiet", "DELIVERED"), "marketplace": "x2bee"}
        code, out = _due(tmp_path, capsys, [imweb, quiet, DELIVERED], "--now", NOW)
        assert 0 == code
        assert out.index("op-delivered") < out.index("op-imweb")
        assert "op-quiet" not in out
        assert "  기한 없음 (아임웹에는 자동 처리 기한이 없습니다)" in out

    def test_stdin(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--order - reads the list from stdin."""
        monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps([DELIVERED])))
        assert 0 == main(["due", "--order", "-", "--now", NOW, "--json"])
        data = _json_out(capsys)
        assert ["op-delivered"] == [e["order_product"]["id"] for e in data["order_products"]]  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        ("orders", "argv", "expected"),
        [
            ([DELIVERED, {**DELIVERED, "status": "GONE"}], [], "item 1: OrderProduct:"),
            ("text", [], "expected an order product (an object) or a list of them"),
            ([DELIVERED], ["--shop-holiday", "3/5"], "--shop-holiday '3/5': expected a date"),
            ([DELIVERED], ["--preparation-days", "15"], "preparation_days: must be an integer"),
        ],
    )
    def test_bad_input_exits_2_naming_it(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        orders: object,
        argv: list[str],
        expected: str,
    ) -> None:
        """A bad order product (by its index), a wrong shape, date or number exits 2 naming it."""
        path = tmp_path / "orders.json"
        path.write_text(json.dumps(orders), encoding="utf-8")
        assert 2 == main(["due", "--order", str(path), "--now", NOW, *argv])
        assert expected in capsys.readouterr().err

    def test_naive_now_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--now without an offset is refused (it could mean Seoul or UTC)."""
        with pytest.raises(SystemExit) as exc:
            main(["due", "--order", "-", "--now", "2026-03-04T10:00:00"])
        assert 2 == exc.value.code
        assert "has no offset" in capsys.readouterr().err
