import json

import pytest

from crmind.campaigns.channels import DeliveryError, OutgoingMessage
from crmind.campaigns.channels.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookChannel,
    verify,
)
from crmind.campaigns.templates import RenderedMessage
from tests.campaigns.http_receiver import WebhookReceiver

SECRET = b"shared-secret"


def _message() -> OutgoingMessage:
    return OutgoingMessage(
        message_id=8,
        campaign_id=2,
        campaign="win-back",
        customer_id=41,
        variant="B",
        rendered=RenderedMessage("We miss you", "Come back", None, "en"),
        data={"coupon": "WB42", "products": [{"product_id": 1, "name": "Mug"}]},
    )


def test_a_webhook_is_signed_and_carries_the_message() -> None:
    with WebhookReceiver() as receiver:
        channel = WebhookChannel(receiver.url, SECRET)
        channel.send(_message())
        channel.close()
    request = receiver.receiver.requests[0]
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert verify(
        SECRET, headers[TIMESTAMP_HEADER.lower()], request.body, headers[SIGNATURE_HEADER.lower()]
    )
    assert not verify(
        b"other", headers[TIMESTAMP_HEADER.lower()], request.body, headers[SIGNATURE_HEADER.lower()]
    )
    assert headers["idempotency-key"] == "crmind-campaign-2-message-8"
    body = json.loads(request.body)
    assert (body["customer_id"], body["variant"], body["coupon"]) == (41, "B", "WB42")


@pytest.mark.parametrize(("status", "transient"), [(503, True), (429, True), (400, False)])
def test_failures_say_whether_a_retry_can_help(status: int, transient: bool) -> None:
    with WebhookReceiver() as receiver:
        receiver.receiver.statuses = [status]
        channel = WebhookChannel(receiver.url, SECRET)
        with pytest.raises(DeliveryError, match=str(status)) as caught:
            channel.send(_message())
        channel.close()
    assert caught.value.transient is transient
