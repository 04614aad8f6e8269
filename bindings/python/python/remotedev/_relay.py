"""`Relay`: the RemoteDev relay of the core, on background threads."""

from __future__ import annotations

import os
from typing import List, Optional, Union

from . import _remotedev
from ._base import Closing, native_property

__all__ = ["Relay"]

PathLike = Union[str, "os.PathLike[str]"]


class Relay(Closing):
    """A RemoteDev relay running on background threads; it listens once created.

    >>> with Relay(port=0, db=":memory:") as relay:
    ...     print(relay.url)  # ws://127.0.0.1:PORT/socketcluster/

    Every option left None keeps the core's default (`RelayOptions::default()`, the
    `remotedev` command's): host 127.0.0.1, port 8000 (0 picks a free one),
    `ping_interval` 8 s, `ping_timeout` 20 s, `handshake_timeout` 10 s, `max_payload`
    100 MiB, `max_outbound_bytes` 64 MiB (the core's `outbound_limit`),
    `protocol_version` "auto" (or 1, 2), `subscribe_grace` 2 s, `pending_limit` 100,
    `channel_limit` 1000, `worker_threads` one per CPU, `max_request_body` 16 MiB, `serve_ui` on (the Redux DevTools monitor at
    `http://HOST:PORT/`).
    Times are in seconds. Reports go to `db` (a file, ":memory:" or a postgres:// URL) or to the knex JSON
    file `db_options` (as `--dbOptions`), by default to `reports.sqlite3` in the user's
    data folder. The core checks every option (`InvalidOptionError`, with the same
    text as in Rust); a busy port raises `AddressInUseError`.

    TLS (`wss://` and `https://` on the same port, `url` then starts with `wss://`):
    `tls_cert` (PEM chain: the certificate, then any intermediates) and `tls_key` (PEM
    key) as files, or `tls_cert_pem` / `tls_key_pem` as text; `tls_passphrase` decrypts
    an encrypted PKCS#8 key. A file that cannot be used raises `InvalidOptionError`
    naming it.

    Access control (README
    "Access control"): `allow_origins` adds browser origins to the default ones (the
    relay's own pages, loopback and extension origins; "*" turns the check off),
    `auth_key` requires a token signed with it (`issue_token(key)`), `read_only` lets
    monitors watch but not command apps.

    Cluster mode (README "Cluster mode"): relays with the same `redis`
    (`redis://HOST:PORT[/DB]`) and `cluster` name behave as one relay to every client;
    `redis_connected` tells whether cross-relay delivery works right now.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        *,
        ping_interval: Optional[float] = None,
        ping_timeout: Optional[float] = None,
        handshake_timeout: Optional[float] = None,
        max_payload: Optional[int] = None,
        max_outbound_bytes: Optional[int] = None,
        protocol_version: Union[str, int, None] = None,
        subscribe_grace: Optional[float] = None,
        pending_limit: Optional[int] = None,
        channel_limit: Optional[int] = None,
        worker_threads: Optional[int] = None,
        db: Optional[PathLike] = None,
        db_options: Optional[PathLike] = None,
        max_request_body: Optional[int] = None,
        serve_ui: Optional[bool] = None,
        tls_cert: Optional[PathLike] = None,
        tls_key: Optional[PathLike] = None,
        tls_cert_pem: Optional[str] = None,
        tls_key_pem: Optional[str] = None,
        tls_passphrase: Optional[str] = None,
        allow_origins: Optional[List[str]] = None,
        auth_key: Optional[str] = None,
        read_only: Optional[bool] = None,
        redis: Optional[str] = None,
        cluster: Optional[str] = None,
    ) -> None:
        self._native = _remotedev.NativeRelay(
            host,
            port,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            handshake_timeout=handshake_timeout,
            max_payload=max_payload,
            max_outbound_bytes=max_outbound_bytes,
            protocol_version=None if protocol_version is None else str(protocol_version),
            subscribe_grace=subscribe_grace,
            pending_limit=pending_limit,
            channel_limit=channel_limit,
            worker_threads=worker_threads,
            db=None if db is None else os.fspath(db),
            db_options=None if db_options is None else os.fspath(db_options),
            max_request_body=max_request_body,
            serve_ui=serve_ui,
            tls_cert=None if tls_cert is None else os.fspath(tls_cert),
            tls_key=None if tls_key is None else os.fspath(tls_key),
            tls_cert_pem=tls_cert_pem,
            tls_key_pem=tls_key_pem,
            tls_passphrase=tls_passphrase,
            allow_origins=None if allow_origins is None else list(allow_origins),
            auth_key=auth_key,
            read_only=read_only,
            redis=redis,
            cluster=cluster,
        )

    port: native_property[int] = native_property("The port it listens on.")
    url: native_property[str] = native_property("`ws://HOST:PORT/socketcluster/` (`wss://` with TLS).")
    closed: native_property[bool] = native_property("Whether it was closed.")
    redis_connected: native_property[Optional[bool]] = native_property(
        "Cluster mode: None without `redis`, else whether Redis is connected now."
    )

    def close(self) -> None:
        """Closes every socket (1001) and stops the relay. Idempotent."""
        self._native.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "listening"
        return f"<remotedev.Relay {self.url} {state}>"
