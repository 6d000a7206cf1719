"""``crmind chat``: a terminal chat as a customer, on a store built through the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmind.cli import app
from crmind.config import Settings
from crmind.services.knowledge import DEMO_KNOWLEDGE, import_articles
from crmind.services.setup import init_store
from crmind.services.tickets import ticket_detail
from tests.assistant.shop import ANN, Shop, build_shop

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> tuple[list[str], Shop]:
    data = tmp_path / "data"
    engine, _ = init_store(Settings(data_dir=data))
    shop = build_shop(engine, tmp_path / "shop")
    import_articles(engine, DEMO_KNOWLEDGE)
    return ["--data-dir", str(data)], shop


def test_an_anonymous_customer_checks_an_order_then_asks_for_a_person(
    store: tuple[list[str], Shop],
) -> None:
    base, shop = store
    script = f"where is my order #A1002?\n{ANN['email']}\nI want to talk to a person\nquit\n"
    result = runner.invoke(app, [*base, "chat"], input=script)
    assert result.exit_code == 0, result.output
    assert "e-mail address or phone number used for order #A1002" in result.stdout
    assert "Order #A1002 of 2024-03-20" in result.stdout
    assert "[handed to a person: ticket #" in result.stdout
    number = int(result.stdout.split("ticket #")[-1].split("]")[0])
    ticket = ticket_detail(shop.engine, number)
    assert ticket["customer_id"] == shop.ann
    assert ticket["channel"] == "cli"
    assert len(ticket["thread"]) == 6  # "quit" ends the chat and is not sent


def test_a_known_customer_chats_in_chinese_until_end_of_input(
    store: tuple[list[str], Shop],
) -> None:
    base, shop = store
    result = runner.invoke(
        app, [*base, "chat", "--customer", str(shop.ann)], input="取消订单A1002\n有什么推荐吗\n"
    )
    assert result.exit_code == 0, result.output
    assert "订单 #A1002 已取消。" in result.stdout
    assert "为您推荐以下商品" in result.stdout


def test_an_unknown_customer_is_an_error_and_a_too_long_message_is_skipped(
    store: tuple[list[str], Shop],
) -> None:
    base, _ = store
    unknown = runner.invoke(app, [*base, "chat", "--customer", "999999"], input="hello\n")
    assert unknown.exit_code == 1
    assert "no customer with id 999999" in unknown.output
    long = runner.invoke(app, [*base, "chat"], input="x" * 5000 + "\nhello\n")
    assert long.exit_code == 0
    assert "at most 4000" in long.output
    assert "How can I help?" in long.stdout
