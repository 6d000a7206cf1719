"""Webhooks: the message as JSON, POSTed with an HMAC-SHA256 signature.

The receiver checks ``X-Crmind-Signature: sha256=<hex>`` over ``<timestamp>.<body>`` with the shared
secret and rejects stale timestamps; ``Idempotency-Key`` lets it drop a repeat. 408, 429, 5xx and
network errors are transient (tried again with back-off); other 4xx are permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from crmind.campaigns.channels import DeliveryError, OutgoingMessage

SIGNATURE_HEADER = "X-Crmind-Signature"
TIMESTAMP_HEADER = "X-Crmind-Timestamp"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def verify(
    secret: bytes, timestamp: str, body: bytes, header: str, max_age_seconds: float = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    fresh = abs(time.time() - float(timestamp)) <= max_age_seconds
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), header)


def payload(message: OutgoingMessage) -> dict[str, object]:
    return {
        "id": message.idempotency_key,
        "campaign": message.campaign,
        "campaign_id": message.campaign_id,
        "customer_id": message.customer_id,
        "variant": message.variant,
        "language": message.rendered.language,
        "subject": message.rendered.subject,
        "text": message.rendered.text,
        **message.data,
    }


class WebhookChannel:
    def __init__(self, url: str, secret: bytes, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._client = httpx.Client(timeout=timeout_seconds)

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(payload(message), ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook {self.url}: {error!r}", transient=True) from error
        if response.is_success:
            return
        transient = response.status_code in (408, 429) or response.status_code >= 500
        raise DeliveryError(
            f"webhook {self.url} answered {response.status_code}", transient=transient
        )

    def close(self) -> None:
        self._client.close()
