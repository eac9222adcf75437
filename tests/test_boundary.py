"""The boundary's nesting scan (``json_too_deep``) against the true depth of JSON values.

The scan works on bytes (escapes dropped, strings cut out between quotes); these tests hold it
to the depth of the parsed value, with brackets, quotes and backslashes inside strings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimflow.adapters._boundary import json_too_deep, parse_json_body

# strings made of the characters the scan must see through
_TRICKY = st.text(alphabet='[]{}"\\ a가\n', max_size=8)
_VALUES = st.recursive(
    st.none() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


class TestJsonTooDeep:
    @given(_VALUES, st.integers(0, 8), st.booleans())
    def test_agrees_with_the_parsed_depth(self, value: Any, limit: int, ascii_only: bool) -> None:
        """On any JSON text, str or bytes, the scan says too deep exactly when the parsed value
        nests deeper than the limit."""
        text = json.dumps(value, ensure_ascii=ascii_only)
        expected = _depth(value) > limit
        assert (expected, expected) == (
            json_too_deep(text, limit),
            json_too_deep(text.encode(), limit),
        )

    @pytest.mark.parametrize(
        "body",
        [
            b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]",  # an escaped backslash ends the string
            b'["\\"' + b"[" * 70 + b'", 1]',  # an escaped quote does not
            b'{"k\\\\\\"[[[": ' + b"[" * 70 + b"]" * 70 + b"}",
        ],
    )
    def test_escapes_before_brackets(self, body: bytes) -> None:
        """Escaped backslashes and quotes before brackets put them on the right side of a string:
        the scan agrees with json.loads on whether the body nests deeper than 64."""
        expected = _depth(json.loads(body)) > 64
        assert expected == json_too_deep(body, 64)

    def test_deep_body_is_refused_before_parsing(self) -> None:
        """100,000 levels are refused by the scan, naming the nesting (json.loads never runs)."""
        deep = b"[" * 100_000 + b"]" * 100_000
        with pytest.raises(ValueError, match="nested deeper than 64 levels"):
            parse_json_body(deep)
