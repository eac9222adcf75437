"""The package layout the code promises (``shared/style.md`` § "The marketplace code").

- **Private stays private**: a module of one subpackage (``claimflow.adapters``, ``.store``,
  ``.testing``, ...) never imports a private module (``_x``) or a private name of *another*
  subpackage; it goes through that package's public names (its ``__init__``). The top-level
  ``claimflow._x`` modules are the core every subpackage builds on, and ``claimflow/*.py`` may use
  a subpackage's public names only.
- **A marketplace in one place**: every adapter module (``claimflow.adapters.<mp>``) exports the
  same wiring names, and so does every emulator module (``claimflow.emulators.<mp>``); the
  registries :data:`claimflow.adapters.MODULES` and :data:`claimflow.emulators.MODULES` hold one
  module per marketplace.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import claimflow
from claimflow import InvalidInputError, Marketplace, OrderProduct, Status, adapters, emulators
from claimflow.adapters import OrderRef
from claimflow.testing import SyncASGITransport

ROOT = Path(claimflow.__file__).parent


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from {'.' * level}{target} import ...`` in *module*."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _subpackage(module: str, root: Path) -> str | None:
    """``claimflow.store`` for ``claimflow.store._sync``; None for a top-level module or one
    outside the package."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == root.name and (root / parts[1]).is_dir():
        return ".".join(parts[:2])
    return None


def _is_module(name: str, root: Path) -> bool:
    path = root.parent.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def crossings(root: Path = ROOT) -> Iterator[tuple[str, str, str]]:
    """Every (importing module, imported module, name) of the package at *root* that reaches
    into another subpackage's private module or private name."""
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        is_package = path.name == "__init__.py"
        home = _subpackage(module, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(module, is_package, node.level, node.module)
                imported = [
                    (f"{source}.{a.name}", "")
                    if _is_module(f"{source}.{a.name}", root)
                    else (source, a.name)
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                imported = [(a.name, "") for a in node.names]
            else:
                continue
            for target, name in imported:
                other = _subpackage(target, root)
                if other is None or other == home:
                    continue  # the core, the same subpackage, or not claimflow at all
                private_module = any(_private(p) for p in target.split(".")[2:])
                if private_module or _private(name):
                    yield module, target, name


class TestPrivateStaysPrivate:
    def test_resolves_relative_imports(self) -> None:
        """A relative import is read as the absolute module it names (the walker's own check)."""
        assert "claimflow.adapters._commit" == _resolve(
            "claimflow.store._worker", False, 2, "adapters._commit"
        )
        assert "claimflow.store" == _resolve("claimflow.store", True, 1, None)
        assert "claimflow.store._sync" == _resolve("claimflow._demo", False, 1, "store._sync")

    def test_finds_every_kind_of_crossing(self, tmp_path: Path) -> None:
        """The walker reports a private module and a private name of another subpackage, and
        lets through the core, public names and a subpackage's own private modules."""
        pkg = tmp_path / "claimflow"
        for d in ("a", "b"):
            (pkg / d).mkdir(parents=True)
            (pkg / d / "__init__.py").write_text("")
            (pkg / d / "_impl.py").write_text("")
        (pkg / "__init__.py").write_text("")
        (pkg / "_core.py").write_text("")
        (pkg / "a" / "use.py").write_text(
            "from .._core import x\n"  # the core: allowed
            "from ..b import public\n"  # a public name: allowed
            "from . import _impl\n"  # its own private module: allowed
            "from ..b._impl import y\n"  # another subpackage's private module
            "from ..b import _hidden\n"  # another subpackage's private name
            "import claimflow.b._impl\n"
        )
        (pkg / "top.py").write_text("from .b._impl import z\n")
        assert [
            ("claimflow.a.use", "claimflow.b._impl", "y"),
            ("claimflow.a.use", "claimflow.b", "_hidden"),
            ("claimflow.a.use", "claimflow.b._impl", ""),
            ("claimflow.top", "claimflow.b._impl", "z"),
        ] == list(crossings(pkg))

    def test_no_module_reaches_into_another_subpackage(self) -> None:
        """No module imports a private module or a private name of another subpackage."""
        found = sorted(crossings())
        assert [] == found

    def test_emulators_read_the_wire_only_through_the_codecs(self) -> None:
        """An emulator takes nothing of the adapters but their codecs and the attrs values they
        exchange (``OrderRef``): an emulator built from the adapter's own tables could only
        agree with it (style: a wire format is written once)."""
        import attrs  # noqa: PLC0415

        other: list[tuple[str, str, str]] = []
        for path in sorted((ROOT / "emulators").rglob("*.py")):
            module = _module_name(path, ROOT)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom):
                    continue
                source = _resolve(module, path.name == "__init__.py", node.level, node.module)
                if not source.startswith("claimflow.adapters"):
                    continue
                if source.startswith("claimflow.adapters.codecs"):
                    continue
                other += [
                    (module, source, a.name)
                    for a in node.names
                    if not attrs.has(getattr(importlib.import_module(source), a.name))
                ]
        assert [] == other


# --- a marketplace in one place -----------------------------------------------------------------

#: What every adapter module exports for the code around it (docs/architecture.md).
ADAPTER_WIRING = frozenset(
    {
        "CREDENTIAL_ENV",
        "DEFAULT_URL",
        "LISTS",
        "LIST_PACE",
        "MARKETPLACE",
        "MIN_INTERVAL",
        "ORDERED_AT_IS_PAID_AT",
        "SHOWS_HOLDS",
        "SPEC",
        "base_urls",
        "client_for",
        "make_async_client",
        "make_client",
    }
)

#: What every emulator module exports for the code around it.
EMULATOR_WIRING = frozenset(
    {
        "CREDENTIALS",
        "MARKETPLACE",
        "adapter_urls",
        "make_app",
        "make_emulator",
        "seed_order_product",
        "seed_orders",
    }
)


def _protocol_members(protocol: type) -> set[str]:
    """The members a typing.Protocol declares (its properties and methods)."""
    return {n for n in vars(protocol) if not n.startswith("_")}


class TestWiringNames:
    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_adapter_modules_export_the_wiring(self, mp: Marketplace) -> None:
        """Each adapter module exports every wiring name, in ``__all__``, for its marketplace."""
        module = adapters.MODULES[mp]
        assert f"claimflow.adapters.{mp.value}" == module.__name__
        assert set() == ADAPTER_WIRING - set(module.__all__)
        assert mp == module.MARKETPLACE
        assert mp == module.SPEC.marketplace

    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_emulator_modules_export_the_wiring(self, mp: Marketplace) -> None:
        """Each emulator module exports every wiring name for its marketplace."""
        module = emulators.MODULES[mp]
        assert emulators.EMULATORS[mp.value] == module.__name__
        assert set() == EMULATOR_WIRING - set(module.__all__)
        assert mp == module.MARKETPLACE

    def test_one_module_per_marketplace(self) -> None:
        """Both registries have exactly one module for every marketplace."""
        assert list(Marketplace) == list(adapters.MODULES)
        assert list(Marketplace) == list(emulators.MODULES)
        for modules in (adapters.MODULES, emulators.MODULES):
            assert len(set(modules.values())) == len(Marketplace)

    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_codec_modules_export_the_same_names(self, mp: Marketplace) -> None:
        """Each codec defines, and lists in ``__all__``, every member of ``CodecModule`` (the
        money mapping included), for its own marketplace."""
        from claimflow.adapters.codecs import CODECS, CodecModule  # noqa: PLC0415

        module = CODECS[mp]
        members = _protocol_members(CodecModule)
        missing = {n for n in members if not hasattr(module, n)}
        unlisted = members - set(module.__all__)  # type: ignore[attr-defined]
        assert (set(), set(), mp, mp) == (
            missing,
            unlisted,
            module.MARKETPLACE,
            module.SPEC.marketplace,
        )
        assert {"MARKETPLACE", "line_money", "unwrap"} <= members

    @pytest.mark.parametrize(
        "path",
        [
            "testing/_emulated.py",
            "store/_worker.py",
            "store/_sync.py",
            "_demo.py",
            "adapters/_money.py",
            "adapters/_commit.py",
            "_engine.py",
            "_introspect.py",
            "_diagrams.py",
            "_time.py",
            "_opsguide.py",
        ],
    )
    def test_the_code_around_names_no_marketplace(self, path: str) -> None:
        """The emulator binding, the worker, the sync, the demo, the wire money mapping, the
        engine and the docs name no marketplace (``Marketplace.TOSS`` ...): they read the
        registries, the codecs and ``_guides.GUIDES``."""
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        named = [
            f"{path}:{node.lineno} Marketplace.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Marketplace"
            and node.attr.isupper()
        ]
        assert [] == named

    def test_wiring_modules_are_importable_by_name(self) -> None:
        """Each registry entry is the module importable under its own name."""
        for mp, module in adapters.MODULES.items():
            assert importlib.import_module(f"claimflow.adapters.{mp.value}") is module


class TestWiringBehaviour:
    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_a_client_from_the_emulator_wiring_reads_a_seeded_order_product(
        self, mp: Marketplace
    ) -> None:
        """The adapter module's client_for, given the emulator module's CREDENTIALS and
        adapter_urls, reads back (status, price, quantity) what seed_order_product seeded."""
        served, wiring = emulators.MODULES[mp], adapters.MODULES[mp]
        emulator = served.make_emulator(seed=1)
        op = OrderProduct("seeded", mp, Status.PREPARING, "SKU-1", 12_000, 2)
        record, ref = served.seed_order_product(emulator, op)
        transport = SyncASGITransport(emulator.app)
        try:
            with wiring.client_for(
                served.CREDENTIALS, served.adapter_urls("http://127.0.0.1"), transport=transport
            ) as client:
                remote = client.read(ref)
        finally:
            transport.close()
        assert (record.op.id, Status.PREPARING, 12_000, 2) == (
            remote.id,
            remote.status,
            remote.unit_price,
            remote.quantity,
        )

    @pytest.mark.parametrize(
        ("mp", "kept"),
        [
            (Marketplace.TOSS, "K-1"),
            (Marketplace.IMWEB, "K-1:K-101"),
            (Marketplace.X2BEE, "K-1"),
        ],
    )
    def test_seeding_keeps_the_id_when_asked(self, mp: Marketplace, kept: str) -> None:
        """With keep_id the emulator seeds under the order product's id (imweb: as the order
        number, the item order numbered after it); the ref names the same order product."""
        served = emulators.MODULES[mp]
        record, ref = served.seed_order_product(
            served.make_emulator(), OrderProduct("K-1", mp, Status.PAID, "SKU", 1000), keep_id=True
        )
        assert (kept, kept) == (record.op.id, ref.order_product_id)
        assert isinstance(ref, OrderRef)

    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_client_from_env_names_the_missing_variables(self, mp: Marketplace) -> None:
        """client_from_env without the credentials refuses with InvalidInputError naming every
        missing variable and no value of those present."""
        wiring = adapters.MODULES[mp]
        present = (
            {wiring.CREDENTIAL_ENV[0]: "s3cr3t-value"} if len(wiring.CREDENTIAL_ENV) > 1 else {}
        )
        with pytest.raises(InvalidInputError) as e:
            adapters.client_from_env(mp, present)
        missing = [n for n in wiring.CREDENTIAL_ENV if n not in present]
        assert all(n in str(e.value) for n in missing)
        assert "s3cr3t-value" not in str(e.value)
        assert "credentials" == e.value.field

    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_client_from_env_builds_a_client_for_the_marketplace(self, mp: Marketplace) -> None:
        """client_from_env with every variable set builds a client for the marketplace at its
        default URL, without calling it."""
        wiring = adapters.MODULES[mp]
        environ = {n: f"value-{i}" for i, n in enumerate(wiring.CREDENTIAL_ENV)}
        with adapters.client_from_env(mp, environ) as client:
            assert mp == client.spec.marketplace

    def test_client_from_env_names_an_unknown_marketplace(self) -> None:
        """An unknown marketplace name is a typed error naming it, not a KeyError."""
        with pytest.raises(claimflow.UnknownValueError) as e:
            adapters.client_from_env("coupang", {})
        assert "marketplace" == e.value.field

    @pytest.mark.parametrize("mp", list(Marketplace))
    def test_client_for_refuses_the_wrong_number_of_credentials(self, mp: Marketplace) -> None:
        """client_for refuses a credential list of the wrong length, saying how many it wants."""
        wiring = adapters.MODULES[mp]
        with pytest.raises(InvalidInputError) as e:
            wiring.client_for(["a", "b", "c"])
        assert f"{len(wiring.CREDENTIAL_ENV)} expected" in str(e.value)
