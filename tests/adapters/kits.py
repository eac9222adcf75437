"""What the adapter tests need to know of each marketplace, in one place: the emulator's
credentials, the adapter factories (over a served emulator, a mock transport or an ASGI app), and
order products set up on both sides.

``conftest.py`` turns a kit into fixtures (``emulator``, ``server``, ``adapter``,
``async_adapter``); ``test_contract.py`` runs the contract once per kit; each marketplace's test
file imports its kit for its quirks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import httpx

import claimflow as cf
from claimflow.adapters import AsyncClient, Client, OrderRef, RetryPolicy, reconcile
from claimflow.adapters import imweb as imweb_adapter
from claimflow.adapters import toss as toss_adapter
from claimflow.adapters import x2bee as x2bee_adapter
from claimflow.emulators import LoggedRequest, RunningServer
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.x2bee import X2beeEmulator

Handler = Callable[[httpx.Request], httpx.Response]

# --- the credentials the emulators accept (never to appear in a repr, error or log) ------------

TOSS_CLIENT_ID = "test-client-id"
TOSS_CLIENT_SECRET = "s3cr3t-never-shown"
IMWEB_KEY = "test-imweb-key"
IMWEB_SECRET = "imweb-s3cr3t-never-shown"
X2BEE_TOKEN = "x2bee-jwt-s3cr3t-never-shown"
#: the token every mock transport hands out (a secret too)
MOCK_TOKEN = "mock-t0ken-never-shown"

#: fast retries for tests: small waits, few attempts
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.002, wait_jitter=0.0)
#: the request timeout of the adapters the fixtures make
TIMEOUT = 5.0


@attrs.frozen
class Setup:
    """An order product on the emulator and its local twin (and where to read it)."""

    op: cf.OrderProduct
    ref: OrderRef


class Kit:
    """One marketplace as the adapter tests see it. Subclasses fill in the marketplace."""

    marketplace: ClassVar[cf.Marketplace]
    #: the parameters of a buyer's request in the marketplace's storefront or app
    buyer_params: ClassVar[dict[str, object]]
    #: what the adapter's AuthenticationError says when the credentials are refused
    refused_text: ClassVar[str]
    #: API requests sent before refused credentials are known (a token endpoint refuses first)
    requests_before_refusal: ClassVar[int] = 0
    #: whether the marketplace issues access tokens (then re-issued once when refused)
    issues_tokens: ClassVar[bool] = True
    #: plain-http URLs the factory refuses: keyword → the field the error names
    insecure: ClassVar[dict[str, str]]

    def __repr__(self) -> str:
        return f"<{self.marketplace.value} kit>"

    # --- emulator and adapters ------------------------------------------------------------------

    def emulator(self) -> Any:
        """A new emulator that accepts the kit's credentials."""
        raise NotImplementedError

    def make_sync_at(self, url: str, **kw: Any) -> Client:
        """A synchronous adapter for an emulator at *url* (fast retries, short timeout)."""
        raise NotImplementedError

    def make_async_at(self, url: str, **kw: Any) -> AsyncClient:
        """An asynchronous adapter for an emulator at *url* (fast retries, short timeout)."""
        raise NotImplementedError

    def make_sync(self, server: RunningServer, **kw: Any) -> Client:
        """A synchronous adapter for *server*."""
        return self.make_sync_at(server.url, **kw)

    def make_async(self, server: RunningServer, **kw: Any) -> AsyncClient:
        """An asynchronous adapter for *server*."""
        return self.make_async_at(server.url, **kw)

    def in_process(self, app: Any) -> AsyncClient:
        """An asynchronous adapter for an emulator *app* run in-process (httpx.ASGITransport)."""
        return self.make_async_at("http://127.0.0.1", transport=httpx.ASGITransport(app))

    def refused(self, server: RunningServer) -> tuple[Client, str]:
        """An adapter for *server* with credentials it refuses, and the refused secret."""
        raise NotImplementedError

    def mock(self, handler: Handler, **kw: Any) -> Client:
        """A synchronous adapter over ``httpx.MockTransport``: the token endpoint (if any) hands
        out :data:`MOCK_TOKEN`, every other request is answered by *handler*."""
        raise NotImplementedError

    def secrets(self, emulator: Any) -> list[str]:
        """The credentials and every token the emulator issued."""
        return list(emulator.core.token_history)

    # --- order products on both sides -----------------------------------------------------------

    def start(self, emulator: Any, status: str, **kw: Any) -> Setup:
        """A new order product in *status* on the emulator, and the same one locally."""
        record = emulator.add(status, **kw)
        local = cf.OrderProduct(
            record.op.id,
            self.marketplace,
            status,
            item_id=record.op.item_id,
            unit_price=record.op.unit_price,
            quantity=record.op.quantity,
        )
        return Setup(local, OrderRef(record.op.id, record.order_id))

    def requested(
        self, emulator: Any, adapter: Client, status: str, action: str, **params: object
    ) -> Setup:
        """An order product in *status* where the buyer made a request (*action*); the local
        side learned of it by reconciling."""
        s = self.start(emulator, status)
        emulator.buyer(s.op.id, action, **(params or self.buyer_params))
        synced = reconcile(adapter, s.op, ref=s.ref)
        return Setup(synced.order_product, s.ref)

    def api_requests(self, emulator: Any) -> list[LoggedRequest]:
        """The API requests the emulator received (since the last reset), token requests and
        control calls aside."""
        raise NotImplementedError

    def writes(self, emulator: Any) -> list[LoggedRequest]:
        """The write requests the emulator received (since the last reset)."""
        raise NotImplementedError


def _options(kw: dict[str, Any], **urls: str) -> dict[str, Any]:
    return {**urls, "retry": FAST, "timeout": TIMEOUT, **kw}


def _tokens(handler: Handler) -> Handler:
    """*handler* behind the token endpoints of Toss (``/token``) and imweb (``/v2/auth``)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": MOCK_TOKEN, "expires_in": 3599})
        if request.url.path == "/v2/auth":
            body = {"msg": "SUCCESS", "code": 200, "access_token": MOCK_TOKEN}
            return httpx.Response(200, json=body)
        return handler(request)

    return answer


class TossKit(Kit):
    """Toss Shopping: client credentials for a bearer token, one order product per call."""

    marketplace = cf.Marketplace.TOSS
    buyer_params: ClassVar[dict[str, object]] = {"reason": "변심"}
    refused_text = "invalid_client"
    insecure: ClassVar[dict[str, str]] = {"base_url": "http://shopping-fep.toss.im"}
    token_path = "/token"
    token_form_keys = ("client_id", "client_secret", "grant_type", "scope")

    def emulator(self) -> TossEmulator:
        return TossEmulator(client_id=TOSS_CLIENT_ID, client_secret=TOSS_CLIENT_SECRET)

    def make_sync_at(self, url: str, **kw: Any) -> Client:
        secret = kw.pop("client_secret", TOSS_CLIENT_SECRET)
        options = _options(kw, base_url=url, token_url=url + "/token")
        return toss_adapter.make_client(TOSS_CLIENT_ID, secret, **options)

    def make_async_at(self, url: str, **kw: Any) -> AsyncClient:
        options = _options(kw, base_url=url, token_url=url + "/token")
        return toss_adapter.make_async_client(TOSS_CLIENT_ID, TOSS_CLIENT_SECRET, **options)

    def refused(self, server: RunningServer) -> tuple[Client, str]:
        return self.make_sync(server, client_secret="wrong-secret"), "wrong-secret"

    def mock(self, handler: Handler, **kw: Any) -> Client:
        return toss_adapter.make_client(
            TOSS_CLIENT_ID,
            TOSS_CLIENT_SECRET,
            **_options(kw, base_url="https://shopping-fep.toss.im"),
            transport=httpx.MockTransport(_tokens(handler)),
        )

    def secrets(self, emulator: Any) -> list[str]:
        return [TOSS_CLIENT_SECRET, *super().secrets(emulator)]

    def start(self, emulator: Any, status: str, **kw: Any) -> Setup:
        s = super().start(emulator, status, **kw)
        record = emulator.store.get(s.op.id)
        return Setup(s.op, OrderRef(s.op.id, record.order_id, record.ordered_at.date()))

    def api_requests(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in emulator.core.requests if r.path != "/token"]

    def writes(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in emulator.core.requests if r.method == "POST" and r.path != "/token"]


class ImwebKit(Kit):
    """imweb: key and secret for an access token, one call for the item orders of an order."""

    marketplace = cf.Marketplace.IMWEB
    buyer_params: ClassVar[dict[str, object]] = {"reason_code": "INTENT_CHANGED"}
    refused_text = "code -1"
    insecure: ClassVar[dict[str, str]] = {
        "base_url": "http://api.imweb.me/v2/shop",
        "auth_url": "http://api.imweb.me/v2/auth",
    }
    token_path = "/v2/auth"
    token_form_keys = ("key", "secret")

    def emulator(self) -> ImwebEmulator:
        return ImwebEmulator(key=IMWEB_KEY, secret=IMWEB_SECRET)

    def make_sync_at(self, url: str, **kw: Any) -> Client:
        secret = kw.pop("secret", IMWEB_SECRET)
        options = _options(kw, base_url=url + "/v2/shop", auth_url=url + "/v2/auth")
        return imweb_adapter.make_client(IMWEB_KEY, secret, **options)

    def make_async_at(self, url: str, **kw: Any) -> AsyncClient:
        options = _options(kw, base_url=url + "/v2/shop", auth_url=url + "/v2/auth")
        return imweb_adapter.make_async_client(IMWEB_KEY, IMWEB_SECRET, **options)

    def refused(self, server: RunningServer) -> tuple[Client, str]:
        return self.make_sync(server, secret="wrong-secret"), "wrong-secret"

    def mock(self, handler: Handler, **kw: Any) -> Client:
        return imweb_adapter.make_client(
            IMWEB_KEY,
            IMWEB_SECRET,
            **_options(kw),
            transport=httpx.MockTransport(_tokens(handler)),
        )

    def secrets(self, emulator: Any) -> list[str]:
        return [IMWEB_KEY, IMWEB_SECRET, *super().secrets(emulator)]

    def start(self, emulator: Any, status: str, **kw: Any) -> Setup:
        [op] = self.start_order(emulator, status, **kw)
        return Setup(op, OrderRef(op.id))

    def start_order(
        self, emulator: ImwebEmulator, *statuses: str, **order: Any
    ) -> list[cf.OrderProduct]:
        """A new order on the emulator with an item order per status, and the same order
        products locally (payment channel and auto refund as the order says)."""
        placed = emulator.add_order(*statuses, **order)
        return [self.local_twin(emulator, op_id) for op_id in placed.items]

    def local_twin(self, emulator: ImwebEmulator, op_id: str) -> cf.OrderProduct:
        """The order product *op_id* as a seller's system first records it: status, item,
        payment; no claims (those arrive by reconciling)."""
        op = emulator.store.get(op_id).op
        return cf.OrderProduct(
            op.id,
            "imweb",
            op.status,
            op.item_id,
            op.unit_price,
            op.quantity,
            payment_channel=op.payment_channel,
            auto_refundable=op.auto_refundable,
        )

    def requested_order(
        self,
        emulator: ImwebEmulator,
        adapter: Client,
        status: str,
        action: str,
        *,
        items: int = 1,
        **order: Any,
    ) -> list[cf.OrderProduct]:
        """An order of *items* item orders in *status*, each with the buyer's *action* request
        in the storefront; the local side learned of them by reconciling."""
        ops = self.start_order(emulator, *[status] * items, **order)
        for op in ops:
            emulator.buyer(op.id, action, **self.buyer_params)
        return [reconcile(adapter, op).order_product for op in ops]

    def api_requests(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in emulator.core.requests if r.path != "/v2/auth"]

    def writes(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in emulator.core.requests if r.method == "PATCH"]


class X2beeKit(Kit):
    """x2bee: a bearer token the caller brings (no token endpoint), three hosts."""

    marketplace = cf.Marketplace.X2BEE
    buyer_params: ClassVar[dict[str, object]] = {"reason": "단순 변심"}
    refused_text = "HTTP 401"
    requests_before_refusal = 1
    issues_tokens = False
    insecure: ClassVar[dict[str, str]] = {"bo_url": "http://api-bo.x2bee.com/api/bo"}
    #: the paths of the reads x2bee sends as POST
    read_paths = frozenset(f"/api/{r.host}{r.path}" for r in x2bee_adapter.READS.values())

    def emulator(self) -> X2beeEmulator:
        return X2beeEmulator(token=X2BEE_TOKEN)

    @staticmethod
    def urls(url: str) -> dict[str, str]:
        """The emulator's three API base URLs (one server stands in for every x2bee host)."""
        return {
            "order_url": url + "/api/order",
            "bo_url": url + "/api/bo",
            "goods_url": url + "/api/goods",
        }

    def make_sync_at(self, url: str, **kw: Any) -> x2bee_adapter.X2beeClient:
        token = kw.pop("token", X2BEE_TOKEN)
        return x2bee_adapter.make_client(token, **_options(kw, **self.urls(url)))

    def make_async_at(self, url: str, **kw: Any) -> x2bee_adapter.X2beeAsyncClient:
        token = kw.pop("token", X2BEE_TOKEN)
        return x2bee_adapter.make_async_client(token, **_options(kw, **self.urls(url)))

    def refused(self, server: RunningServer) -> tuple[Client, str]:
        return self.make_sync(server, token="wrong-jwt-value"), "wrong-jwt-value"

    def mock(self, handler: Handler, **kw: Any) -> x2bee_adapter.X2beeClient:
        return x2bee_adapter.make_client(
            MOCK_TOKEN, **_options(kw), transport=httpx.MockTransport(handler)
        )

    def secrets(self, emulator: Any) -> list[str]:
        return [X2BEE_TOKEN, *super().secrets(emulator)]

    def api_requests(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in emulator.core.requests if r.path.startswith("/api/")]

    def writes(self, emulator: Any) -> list[LoggedRequest]:
        return [r for r in self.api_requests(emulator) if r.path not in self.read_paths]


TOSS = TossKit()
IMWEB = ImwebKit()
X2BEE = X2beeKit()
KITS = (TOSS, IMWEB, X2BEE)
