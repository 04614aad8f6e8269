"""TLS (issue 11): our relay over wss:// with a test PKI made now by
tests/tls/make_test_pki.sh (openssl), our Client/Monitor with `ca_file` / `ca_pem`, the
insecure opt-in, the refusals, and the report upload over https://."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

import remotedev
from conftest import REPO, connect_monitored, recv_until


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test PKI")
    d = tmp_path_factory.mktemp("pki")
    subprocess.run(["bash", str(REPO / "tests" / "tls" / "make_test_pki.sh"), str(d)], check=True)
    return d


@pytest.fixture
def tls_relay(pki: Path) -> Iterator[remotedev.Relay]:
    with remotedev.Relay(port=0, db=":memory:", tls_cert=pki / "chain.pem", tls_key=pki / "key.pem") as r:
        yield r


def test_wss_client_and_monitor_with_the_ca_file(tls_relay: remotedev.Relay, pki: Path) -> None:
    assert tls_relay.url.startswith("wss://127.0.0.1:")
    with remotedev.Monitor(tls_relay.url, ca_file=pki / "ca.pem") as monitor, remotedev.Client(
        tls_relay.url, name="py-tls", ca_pem=(pki / "ca.pem").read_text()
    ) as app:
        connect_monitored(monitor, app)
        app.init({"count": 0})
        app.send({"type": "INCREMENT"}, {"count": 1})
        msg = recv_until(monitor, "ACTION")
        assert msg.payload == {"count": 1}


def test_untrusted_relay_is_refused_with_the_reason(tls_relay: remotedev.Relay, pki: Path) -> None:
    with remotedev.Client(tls_relay.url, ca_file=[pki / "other-ca.pem"]) as app:
        with pytest.raises(remotedev.ConnectionError, match="UnknownIssuer"):
            app.connect(1.5)
        assert app.last_error is not None and "UnknownIssuer" in app.last_error


def test_insecure_opt_in_and_pem_text_relay(pki: Path) -> None:
    with remotedev.Relay(
        port=0,
        db=":memory:",
        tls_cert_pem=(pki / "self-signed.pem").read_text(),
        tls_key_pem=(pki / "self-signed-key.pem").read_text(),
    ) as relay, remotedev.Client(relay.url, dangerous_accept_any_certificate=True) as app:
        app.connect(5)


def test_bad_tls_options_are_refused(pki: Path) -> None:
    with pytest.raises(remotedev.InvalidOptionError, match="does not match"):
        remotedev.Relay(port=0, db=":memory:", tls_cert=pki / "chain.pem", tls_key=pki / "other-key.pem")
    with pytest.raises(remotedev.InvalidOptionError, match="wrong passphrase"):
        remotedev.Relay(
            port=0, db=":memory:", tls_cert=pki / "chain.pem", tls_key=pki / "key-encrypted.pem",
            tls_passphrase="nope",
        )
    with remotedev.Relay(
        port=0, db=":memory:", tls_cert=pki / "chain.pem", tls_key=pki / "key-encrypted.pem",
        tls_passphrase="test-passphrase",
    ) as relay:
        assert relay.url.startswith("wss://")
    with pytest.raises(remotedev.InvalidOptionError, match="ca_certs"):
        remotedev.Client("wss://127.0.0.1:1/socketcluster/", ca_file="/nonexistent/ca.pem")
