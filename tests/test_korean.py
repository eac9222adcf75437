"""Korean particles chosen by the word (claimflow._korean)."""

from __future__ import annotations

import pytest

import claimflow as cf
from claimflow._korean import attach, has_batchim


class TestAttach:
    @pytest.mark.parametrize(
        ("word", "particle", "expected"),
        [
            ("시스템", "이/가", "시스템이"),
            ("구매자", "이/가", "구매자가"),
            ("판매자", "은/는", "판매자는"),
            ("주문", "을/를", "주문을"),
            ("배송", "과/와", "배송과"),
            ("반품", "으로/로", "반품으로"),
            ("배송완료", "으로", "배송완료로"),
            ("서울", "으로", "서울로"),  # ㄹ takes 로
            ("취소", "을", "취소를"),
        ],
    )
    def test_hangul_by_final_consonant(self, word: str, particle: str, expected: str) -> None:
        """A Hangul word takes the form its last syllable's 받침 calls for."""
        assert expected == attach(word, particle)

    @pytest.mark.parametrize(
        ("word", "expected"),
        [("시스템(SYSTEM)", "시스템(SYSTEM)이"), ("구매자(BUYER)", "구매자(BUYER)가")],
    )
    def test_parenthesised_suffix_is_skipped(self, word: str, expected: str) -> None:
        """The particle follows the word before a parenthesised part, not the part itself."""
        assert expected == attach(word, "이/가")

    @pytest.mark.parametrize(
        ("word", "expected"),
        [("1", "1을"), ("2", "2를"), ("3", "3을"), ("5", "5를"), ("10", "10을"), ("T5", "T5를")],
    )
    def test_digits_as_read(self, word: str, expected: str) -> None:
        """Digits take the particle of their Korean reading (일 이 삼 ... 영)."""
        assert expected == attach(word, "을/를")

    def test_digits_with_rieul_take_ro(self) -> None:
        """1, 7 and 8 end in ㄹ: they take 로, like a vowel; 3 takes 으로."""
        assert ["1로", "7로", "8로", "3으로", "2로"] == [
            attach(d, "으로") for d in ("1", "7", "8", "3", "2")
        ]

    def test_latin_letters(self) -> None:
        """Latin words ending in l/m/n read with a 받침; others (force, complete) without."""
        assert ["return.complete를", "item을", "email로"] == [
            attach("return.complete", "을/를"),
            attach("item", "을/를"),
            attach("email", "으로"),
        ]

    def test_quotes_are_skipped(self) -> None:
        """A closing quote does not hide the word's last syllable."""
        assert "'발송'을" == attach("'발송'", "을/를")

    def test_unknown_particle_is_an_error(self) -> None:
        """An unknown particle raises ValueError naming it."""
        with pytest.raises(ValueError, match="'의'"):
            attach("주문", "의")

    def test_unreadable_word_gets_both_forms(self) -> None:
        """A word ending in a symbol gets the written neutral form."""
        assert "→을(를)" == attach("→", "을")
        assert not has_batchim("→")


class TestEngineMessages:
    def test_terminal_status_message(self) -> None:
        """The terminal-status refusal reads 결제취소(CANCELED)는, chosen by the word."""
        op = cf.OrderProduct("op", "toss", "CANCELED", "I", 1000)
        reason = cf.check(op, "return.request", "BUYER", reason="x").reasons[0]
        assert reason.message_ko.startswith("결제취소(CANCELED)는 종료 상태라")

    def test_system_actor_message_has_no_wrong_particle(self) -> None:
        """No engine refusal for any state reads "시스템는" or "시스템가" or a doubled form."""
        bad = ("시스템는", "시스템가", "은(는)", "이(가)", "을(를)")
        for mp in cf.Marketplace:
            for status, claim, _ in cf.reachable_states(mp):
                op = cf.OrderProduct("op", mp, status, "I", 1000, open_claim=claim)
                for actor in cf.Actor:
                    for reasons in cf.refused_actions(op, actor).values():
                        for r in reasons:
                            assert not any(b in r.message_ko for b in bad), r.message_ko

    def test_missing_parameter_message(self) -> None:
        """A missing parameter reads 택배사(carrier)가 필요합니다 or with 이 after a 받침."""
        op = cf.OrderProduct("op", "toss", "PREPARING", "I", 1000)
        d = cf.check(op, "order.ship", "SELLER")
        messages = [r.message_ko for r in d.reasons]
        assert all("(가)" not in m and "(이)" not in m for m in messages)
        assert any(m.endswith("가 필요합니다") or m.endswith("이 필요합니다") for m in messages)
