"""Korean particles (조사) chosen by the word they follow.

Korean writes 을/를, 이/가, 은/는, 과/와 and 으로/로 after a word depending on whether its last
syllable has a final consonant (받침); 으로/로 also takes 로 after ㄹ. Hard-coding "을(를)" reads
like a form letter, and a fixed "가" gives "시스템가". :func:`attach` looks at the word:

- a Hangul syllable: its 받침, read from the Unicode composition (``(code - 0xAC00) % 28``);
- a digit: as the number is read (영 일 이 삼 사 오 육 칠 팔 구: 0, 1, 3, 6, 7 and 8 end in a
  consonant);
- a Latin letter: as the word is commonly read in Korean: ``l``, ``m``, ``n`` (엘, 엠, 엔, and
  words ending in them, "email", "item") have a 받침, ``l`` being ㄹ; anything else does not
  ("force" 포스, "SYSTEM" is handled by its Korean label, see below);
- a trailing parenthesised part or quotes are skipped: in "시스템(SYSTEM)" and "'발송'" the
  particle follows the word before them ("시스템(SYSTEM)이", "'발송'을").
"""

from __future__ import annotations

__all__ = ["attach", "has_batchim"]

# particle with 받침 / without, by any spelling a caller may use
_PAIRS: dict[str, tuple[str, str]] = {}
for _with, _without in (("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로")):
    for _key in (_with, _without, f"{_with}/{_without}", f"{_without}/{_with}"):
        _PAIRS[_key] = (_with, _without)

# jongseong index as in the Unicode composition (0 none, 1 ㄱ, 8 ㄹ, 16 ㅁ, 21 ㅇ), as read:
# 영 일 이 삼 사 오 육 칠 팔 구
_DIGIT_BATCHIM = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
_LATIN_BATCHIM = {"l": 8, "m": 16, "n": 4}
_RIEUL = 8
_SKIP_TAIL = " \t'\"`’”»)]}.,"


def _jong(word: str) -> int | None:
    """The final-consonant index (0: none, 8: ㄹ) of the word's last readable letter."""
    text = word.rstrip()
    while text:
        # skip a trailing parenthesised part: "시스템(SYSTEM)" reads as "시스템"
        if text[-1] in ")]}":
            opener = {")": "(", "]": "[", "}": "{"}[text[-1]]
            cut = text.rfind(opener)
            if cut > 0:
                text = text[:cut].rstrip()
                continue
        ch = text[-1]
        if ch in _SKIP_TAIL:
            text = text[:-1]
            continue
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28
        if ch in _DIGIT_BATCHIM:
            return _DIGIT_BATCHIM[ch]
        if ch.isascii() and ch.isalpha():
            return _LATIN_BATCHIM.get(ch.lower(), 0)
        return None
    return None


def has_batchim(word: str) -> bool:
    """Whether the word, as read, ends in a final consonant (받침)."""
    return bool(_jong(word))


def attach(word: str, particle: str) -> str:
    """*word* followed by the right form of *particle* (``"을"``, ``"을/를"``, ``"으로"``, ...).

    >>> attach("시스템(SYSTEM)", "이/가"), attach("구매자", "은/는"), attach("주문", "으로")
    ('시스템(SYSTEM)이', '구매자는', '주문으로')
    >>> attach("배송완료", "으로"), attach("1", "을"), attach("return.complete", "을")
    ('배송완료로', '1을', 'return.complete를')
    """
    try:
        with_b, without_b = _PAIRS[particle]
    except KeyError:
        msg = f"particle: unknown {particle!r}; expected one of 을/를, 이/가, 은/는, 과/와, 으로/로"
        raise ValueError(msg) from None
    jong = _jong(word)
    if jong is None:  # nothing readable (a symbol): the neutral written form
        return f"{word}{with_b}({without_b})"
    if with_b == "으로":
        return word + ("로" if jong in (0, _RIEUL) else "으로")
    return word + (with_b if jong else without_b)
