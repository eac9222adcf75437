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
        assert ["schema", "version", "order_product", "params", "decision"] == list(data)
        assert ("claimflow.check", 1) == (data["schema"], data["version"])
        decision = data["decision"]
        assert isinstance(decision, dict)
        assert (True, "CANCELED", "T1") == (
            decision["allowed"],
            decision["to_status"],
            decision["rule_id"],
        )
        assert {"reason": "변심"} == decision["params"]

    def test_json_of_a_refusal_names_the_parameters_asked(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A refused check --json still says which parameters were asked (the decision keeps
        none)."""
        argv = ["check", "toss", "cancel.request", "--actor", "BUYER", "--status", "DELIVERED"]
        assert 1 == main([*argv, "--param", "reason=변심", "--json"])
        data = _json_out(capsys)
        decision = data["decision"]
        assert isinstance(decision, dict)
        assert (False, {"reason": "변심"}, {}) == (
            decision["allowed"],
            data["params"],
            decision["params"],
        )

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
        """--version imports no generator, no cattrs, no adapter and no store (start-up stays
        fast)."""
        code = (
            "import sys\nfrom claimflow.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m in "
            "('claimflow._diagrams', 'claimflow._opsguide', 'cattrs', "
            "'httpx', 'claimflow.adapters', 'sqlalchemy', 'claimflow.store')))"
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
        d4 = (
            "  ! by end of 2026-03-05 · claim handling deadline (D4)"
            " · missing it costs 3 penalty points"
        )
        assert f"{d4} · OVERDUE\n" in out
        assert "  - by end of 2026-03-11 · cancel request auto-approval (D1)" in out

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

    def test_a_toss_claim_without_its_moment_says_so(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A Toss claim with no requested_at has a deadline nobody can count (rules.md D1/D4):
        the line says the moment is missing, not that Toss has no timers."""
        claim = {"id": "c", "type": "RETURN", "status": "REQUESTED", "origin_status": "DELIVERED"}
        toss = {**_toss("op-toss", "DELIVERED"), "open_claim": claim}
        _, out = _due(tmp_path, capsys, [toss], "--now", NOW)
        assert "기한을 셀 수 없음 (기준 시각 requested_at이 없습니다)" in out
        assert "자동 처리 기한이 없습니다" not in out

    def test_a_toss_line_no_rule_applies_to_says_nothing_is_due(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A Toss line in a state no deadline rule counts in (a return being collected) says
        nothing is due, not that a moment is missing."""
        claim = {"id": "c", "type": "RETURN", "status": "APPROVED", "origin_status": "DELIVERED"}
        toss = {**_toss("op-toss", "RETURN_COLLECTING"), "open_claim": claim}
        _, out = _due(tmp_path, capsys, [toss], "--now", NOW, "--lang", "en")
        assert ("nothing due in this state", False) == (
            "nothing due in this state" if "nothing due in this state" in out else out,
            "deadline unknown" in out,
        )

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


# --- the store as the order source (`--store URL --id ID`, `due --store URL`) ---------------------


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A SQLite store in a temporary file holding the due tests' order products and an idle
    x2bee one (as stored by Store.put)."""
    pytest.importorskip("sqlalchemy", reason="claimflow.store needs the 'store' extra")
    from claimflow.store import Store  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'claims.db'}"
    quiet = {**_toss("op-quiet", "DELIVERED"), "marketplace": "x2bee"}
    with Store.open(url) as store:
        for data in (DELIVERED, CANCEL_ASKED, quiet):
            store.put(from_json(data, cf.OrderProduct))
    return url


class TestStoreSource:
    def test_check_reads_the_stored_order_product(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """check --store --id answers for the stored order product: the same decision as the
        same order product given as flags."""
        argv = ["check", "toss", "cancel.approve", "--actor", "SELLER", "--json"]
        assert 0 == main([*argv, "--store", store_url, "--id", "op-cancel"])
        data = _json_out(capsys)
        assert "op-cancel" == data["order_product"]["id"]  # type: ignore[index]
        flags = ["--status", "PREPARING", "--claim", "CANCEL:REQUESTED:PREPARING"]
        assert 0 == main([*argv, *flags])
        assert _json_out(capsys)["decision"] == data["decision"]

    def test_refused_from_the_store_exits_1(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A stored DELIVERED order product cannot be cancelled by the buyer: exit 1."""
        argv = ["check", "toss", "cancel.request", "--actor", "BUYER"]
        assert 1 == main([*argv, "--store", store_url, "--id", "op-delivered", "--lang", "en"])
        assert "DELIVERED" in capsys.readouterr().out

    def test_actions_from_the_store(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """actions --store --id lists the seller's allowed actions of the stored order product."""
        argv = ["actions", "toss", "--store", store_url, "--id", "op-cancel", "--json"]
        assert 0 == main([*argv, "--actor", "SELLER", "--allowed-only"])
        data = _json_out(capsys)
        assert "op-cancel" == data["order_product"]["id"]  # type: ignore[index]
        assert "cancel.approve" in json.dumps(data)

    def test_unknown_id_exits_2_with_the_store_message(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An id that is not stored exits 2 with UnknownOrderProductError's message."""
        argv = ["check", "toss", "cancel.approve", "--actor", "SELLER"]
        assert 2 == main([*argv, "--store", store_url, "--id", "nope"])
        expected = "claimflow check: order product 'nope' is not in the store\n"
        assert expected == capsys.readouterr().err

    @pytest.mark.parametrize(
        ("extra", "expected"),
        [
            (["--id", "op-cancel"], "--store URL and --id ORDER_PRODUCT_ID go together"),
            (["--store", "sqlite:///x.db"], "--store URL and --id ORDER_PRODUCT_ID go together"),
        ],
    )
    def test_store_and_id_go_together(
        self, capsys: pytest.CaptureFixture[str], extra: list[str], expected: str
    ) -> None:
        """--id without --store (or the reverse) exits 2 saying both are needed."""
        assert 2 == main(["check", "toss", "cancel.approve", "--actor", "SELLER", *extra])
        assert expected in capsys.readouterr().err

    def test_other_marketplace_exits_2(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A stored Toss order product asked about as imweb exits 2 naming both."""
        assert 2 == main(["actions", "imweb", "--store", store_url, "--id", "op-cancel"])
        assert "'op-cancel' is a toss order product, not imweb" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("mysql://ops:s3cret-pw@db/claims", "--store mysql://ops:***@db/claims: "),
            ("postgresql//ops:s3cret-pw@db/claims", "--store postgresql//ops:***@db/claims: "),
            ("postgresql://ops:s3cret-pw@db/", "names no database"),
            ("mysql://ops:s3cret@pw@db/claims", "--store mysql://ops:***@db/claims: "),
            ("sqlite:///no/such/dir/claims.db", "no such SQLite file"),
            ("postgresql://ops@127.0.0.1:9/claims?password=s3cret-pw", "password=***"),
            ("postgresql://ops:s3cret-pw@no-such-host.invalid/claims", "ops:***@no-such-host"),
        ],
    )
    def test_bad_url_exits_2_naming_it_without_the_password(
        self, capsys: pytest.CaptureFixture[str], url: str, expected: str
    ) -> None:
        """A malformed, unsupported or missing store exits 2 naming --store and the URL, and
        the password never appears."""
        pytest.importorskip("sqlalchemy", reason="claimflow.store needs the 'store' extra")
        argv = ["check", "toss", "cancel.approve", "--actor", "SELLER", "--id", "op-cancel"]
        assert 2 == main([*argv, "--store", url])
        err = capsys.readouterr().err
        assert expected in err
        assert "s3cret" not in err

    def test_unreachable_database_hides_the_password(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A PostgreSQL that refuses the connection exits 2 naming the URL, password hidden."""
        pytest.importorskip("psycopg", reason="needs the 'postgres' extra")
        url = "postgresql://ops:s3cret-pw@127.0.0.1:9/claims"  # port 9 (discard): refused
        assert 2 == main(["due", "--store", url])
        err = capsys.readouterr().err
        assert "--store postgresql://ops:***@127.0.0.1:9/claims: " in err
        assert "s3cret" not in err

    def test_a_file_that_is_no_store_is_not_changed(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty SQLite file is refused (no claimflow schema) and no table is created in it."""
        pytest.importorskip("sqlalchemy", reason="claimflow.store needs the 'store' extra")
        import sqlite3  # noqa: PLC0415

        path = tmp_path / "empty.db"
        sqlite3.connect(path).close()
        assert 2 == main(["due", "--store", f"sqlite:///{path}"])
        assert "no claimflow schema" in capsys.readouterr().err
        with sqlite3.connect(path) as conn:
            tables = conn.execute("select name from sqlite_master where type='table'").fetchall()
        assert [] == tables

    def test_missing_store_extra_names_it(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without SQLAlchemy, --store exits 2 with a MissingExtraError naming the store extra;
        the flags still work."""
        for name in list(sys.modules):
            if name == "sqlalchemy" or name.startswith(("sqlalchemy.", "claimflow.store")):
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import raises ImportError
        argv = ["check", "toss", "cancel.approve", "--actor", "SELLER"]
        assert 2 == main([*argv, "--store", "sqlite:///claims.db", "--id", "op-1"])
        assert "pip install 'claimflow[store]'" in capsys.readouterr().err
        assert 1 == main([*argv, "--status", "DELIVERED"])

    def test_missing_extra_error_is_typed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The error under the exit status is a MissingExtraError whose extra is 'store'."""
        from claimflow.cli import _open_store  # noqa: PLC0415

        for name in list(sys.modules):
            if name == "sqlalchemy" or name.startswith(("sqlalchemy.", "claimflow.store")):
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "sqlalchemy", None)
        with pytest.raises(cf.MissingExtraError) as e:
            _open_store("sqlite:///claims.db")
        assert "store" == e.value.extra


class TestDueOverTheStore:
    def test_same_output_as_from_json(
        self, tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """due --store prints exactly what due --order prints for the same order products:
        soonest deadline first, the idle x2bee one left out."""
        quiet = {**_toss("op-quiet", "DELIVERED"), "marketplace": "x2bee"}
        orders = [quiet, CANCEL_ASKED, DELIVERED]
        for argv in (["--json"], ["--lang", "en"], []):
            assert 0 == main(["due", "--store", store_url, "--now", NOW, *argv])
            from_store = capsys.readouterr().out
            _, from_file = _due(tmp_path, capsys, orders, "--now", NOW, *argv)
            assert from_file == from_store

    def test_json_order_is_soonest_first(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The JSON lists the stored order products soonest deadline first, none without a
        deadline or an open claim, with the seller's allowed actions."""
        assert 0 == main(["due", "--store", store_url, "--now", NOW, "--json"])
        data = _json_out(capsys)
        entries = data["order_products"]
        assert ["op-delivered", "op-cancel"] == [e["order_product"]["id"] for e in entries]  # type: ignore[attr-defined]
        assert ["cancel.approve", "cancel.reject", "cancel.by_seller"] == entries[1][  # type: ignore[index]
            "allowed_actions"
        ]

    def test_overdue_in_the_store_exits_1(
        self, store_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A stored claim whose deadline has passed makes due --store exit 1."""
        later = "2026-03-06T10:00:00+09:00"
        assert 1 == main(["due", "--store", store_url, "--now", later, "--json"])
        assert _json_out(capsys)["overdue"] is True

    def test_order_and_store_exclude_each_other(self, capsys: pytest.CaptureFixture[str]) -> None:
        """due needs --order or --store, not both: a usage error (exit 2) otherwise."""
        for argv in ([], ["--order", "-", "--store", "sqlite:///x.db"]):
            with pytest.raises(SystemExit) as exc:
                main(["due", *argv])
            assert 2 == exc.value.code
        assert "--store" in capsys.readouterr().err
