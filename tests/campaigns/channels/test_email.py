from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from crmind.campaigns.channels import DeliveryError, OutgoingMessage
from crmind.campaigns.channels.email import SmtpChannel, SmtpSettings
from crmind.campaigns.templates import RenderedMessage
from tests.campaigns.smtp_server import SmtpServer, free_port
from tests.campaigns.tls import self_signed, server_context


def _message(recipient: str | None = "ada@example.com") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=12,
        campaign_id=3,
        campaign="welcome",
        customer_id=5,
        variant="main",
        rendered=RenderedMessage("Bienvenue, Ada", "Hello 你好", "<p>Hello</p>", "en"),
        recipient=recipient,
        unsubscribe_url="http://shop.example/unsubscribe/abc",
    )


def test_a_message_reaches_the_smtp_server_with_its_headers() -> None:
    with SmtpServer() as server:
        channel = SmtpChannel(SmtpSettings(port=server.port, sender="Shop <news@shop.example>"))
        channel.send(_message())
        channel.send(_message("grace@example.com"))
        channel.close()
    first = server.handler.received[0]
    assert server.handler.recipients() == ["ada@example.com", "grace@example.com"]
    assert first.subject == "Bienvenue, Ada"
    assert first.message["Message-ID"] == "<crmind-campaign-3-message-12@shop.example>"
    assert first.message["List-Unsubscribe"] == "<http://shop.example/unsubscribe/abc>"
    assert "Hello 你好" in first.text


def test_a_451_reply_is_transient() -> None:
    with SmtpServer() as server:
        server.handler.refuse = 1
        channel = SmtpChannel(SmtpSettings(port=server.port))
        with pytest.raises(DeliveryError, match="451") as caught:
            channel.send(_message())
        assert caught.value.transient
        channel.send(_message())  # the same connection recovers
        channel.close()
    assert len(server.handler.received) == 1


def test_an_unreachable_server_is_transient_and_no_address_is_permanent() -> None:
    channel = SmtpChannel(SmtpSettings(port=free_port(), timeout_seconds=2))
    with pytest.raises(DeliveryError, match="unreachable") as caught:
        channel.send(_message())
    assert caught.value.transient
    with pytest.raises(DeliveryError, match="no e-mail address") as missing:
        channel.send(_message(recipient=None))
    assert not missing.value.transient


def _login_checker(
    server: object, session: object, envelope: object, mechanism: str, auth_data: object
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"shop",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


def test_starttls_with_a_login_against_a_private_ca(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    options = {
        "tls_context": server_context(cert, key),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": _login_checker,
    }
    with SmtpServer(**options) as server:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=server.port,
            security="starttls",
            username="shop",
            password="s3cret",
            ca_file=str(cert),
        )
        channel = SmtpChannel(settings)
        channel.send(_message())
        channel.close()

        wrong = SmtpChannel(replace(settings, password="guess"))
        with pytest.raises(DeliveryError, match="login refused") as refused:
            wrong.send(_message())
        assert not refused.value.transient

        untrusted = SmtpChannel(replace(settings, ca_file=None))
        with pytest.raises(DeliveryError, match="not trusted") as distrust:
            untrusted.send(_message())
        assert not distrust.value.transient
    assert server.handler.recipients() == ["ada@example.com"]
