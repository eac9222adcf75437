"""The adapter tests: one contract run per marketplace (``test_contract.py``), and each
marketplace's quirks in its own file."""
