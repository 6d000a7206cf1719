"""Use case: the unsubscribe link of a campaign message, and what following it does.

The link carries the customer and campaign signed with a key derived from the installation's
secret, so nobody can unsubscribe someone else by changing a number. Following it withdraws the
customer's marketing e-mail consent (recorded like any other decision, source ``unsubscribe``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import Engine

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.privacy.keys import derived_key, secret_key
from crmind.services.consents import ConsentChange, record_consent

UNSUBSCRIBE_PURPOSE = "campaign-unsubscribe"


class InvalidUnsubscribeTokenError(CrmindError):
    """An unsubscribe link that this installation did not make (or that was altered)."""


def unsubscribe_key(settings: Settings) -> bytes:
    return derived_key(secret_key(settings), UNSUBSCRIBE_PURPOSE)


def make_token(key: bytes, customer_id: int, campaign_id: int) -> str:
    body = f"{customer_id}.{campaign_id}"
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return f"{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def read_token(key: bytes, token: str) -> tuple[int, int]:
    """(customer id, campaign id) of a token this key made; InvalidUnsubscribeTokenError else."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise InvalidUnsubscribeTokenError("this unsubscribe link is malformed")
    customer_id, campaign_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(make_token(key, customer_id, campaign_id), token):
        raise InvalidUnsubscribeTokenError("this unsubscribe link is not valid")
    return customer_id, campaign_id


def unsubscribe_url(base_url: str, key: bytes, customer_id: int, campaign_id: int) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{make_token(key, customer_id, campaign_id)}"


def unsubscribe(engine: Engine, settings: Settings, token: str) -> ConsentChange:
    """Withdraw the marketing e-mail consent of the customer the token names."""
    customer_id, campaign_id = read_token(unsubscribe_key(settings), token)
    return record_consent(
        engine,
        customer_id,
        MARKETING_EMAIL,
        "withdraw",
        source=f"unsubscribe link (campaign {campaign_id})",
        actor=f"customer:{customer_id}",
    )
