"""The rule explorer (placeholder)."""


def build() -> dict[str, str | bytes]:
    """Placeholder."""
    return {}
