"""HTTP for the client: the ``Transport`` protocol and its httpx implementation (mutual TLS,
verification against the target's CA bundle only; there is no switch to turn it off).

Network failures are classified here (SUBMIT.md §11): nothing sent -> ``TransientError``; sent
but no answer -> ``AmbiguousError``; TLS refusals (unknown server CA, wrong host name, client
certificate refused) -> ``PermanentFault(layer="certificate")``. An answer is a :class:`Reply`:
``(status, body)`` with the answer's headers beside it (``Retry-After`` of a busy server).
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError

MAX_ANSWER_BYTES = 64 * 1024 * 1024
_TLS_REFUSALS = (
    "CERTIFICATE_VERIFY_FAILED", "alert certificate required", "alert unknown ca",
    "alert bad certificate", "alert certificate unknown", "alert handshake failure",
    "alert access denied", "certificate expired", "WRONG_VERSION_NUMBER",
)  # fmt: skip


class Reply(tuple[int, bytes]):
    """``(status, body)``, unpacked as before, with ``headers`` (names in lower case)."""

    headers: dict[str, str]

    def __new__(cls, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Reply:
        self = super().__new__(cls, (status, body))
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        return self


def retry_after_s(value: str | None, now: dt.datetime | None = None) -> float:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date, RFC 9110
    §10.2.3); 0 when absent, unreadable or in the past."""
    text = (value or "").strip()
    if not text:
        return 0.0
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]: ...

    def close(self) -> None: ...


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _tls_refusal(exc: BaseException) -> str:
    """Why TLS refused, or "" when the failure was not a TLS refusal."""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return f"CERTIFICATE_VERIFY_FAILED: {e.verify_message}"
    for e in chain:
        text = str(e).lower()
        for marker in _TLS_REFUSALS:
            if marker.lower() in text:
                return marker
    return ""


class HttpxTransport:
    def __init__(
        self,
        ctx: ssl.SSLContext,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            verify=ctx,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            trust_env=False,  # no proxies or netrc from the environment
            follow_redirects=False,
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        try:
            with self._client.stream("POST", url, content=body, headers=dict(headers)) as resp:
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AmbiguousError(
                            "odpowiedź serwera jest zbyt duża", "the server's answer is too large"
                        )
                    chunks.append(chunk)
                return Reply(resp.status_code, b"".join(chunks), resp.headers)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(
                f"przekroczony czas połączenia ({type(exc).__name__})",
                f"connection timed out ({type(exc).__name__})",
            ) from None
        except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
            raise AmbiguousError(
                f"brak odpowiedzi w wyznaczonym czasie ({type(exc).__name__})",
                f"no answer in time ({type(exc).__name__})",
            ) from None
        except (httpx.ConnectError, httpx.WriteError) as exc:
            reason = _tls_refusal(exc)
            if reason:
                raise PermanentFault("certificate", "local:tls", reason) from None
            raise TransientError(
                f"nie można połączyć się z serwerem ({type(exc).__name__})",
                f"cannot reach the server ({type(exc).__name__})",
            ) from None
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            reason = _tls_refusal(exc)
            if reason:
                raise PermanentFault("certificate", "local:tls", reason) from None
            raise AmbiguousError(
                f"połączenie zerwane po wysłaniu żądania ({type(exc).__name__})",
                f"connection dropped after the request was sent ({type(exc).__name__})",
            ) from None
        except httpx.TransportError as exc:
            raise AmbiguousError(
                f"błąd transportu ({type(exc).__name__})", f"transport error ({type(exc).__name__})"
            ) from None

    def close(self) -> None:
        self._client.close()
