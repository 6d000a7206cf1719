"""``crmind chat``: talk to the assistant in the terminal, as a customer."""

import sys
from typing import Annotated

import typer
from rich.text import Text

from crmind.cli.app import app, console, current_settings, errors, errors_as_messages
from crmind.services.assistant import ChatError, chat_turn
from crmind.services.setup import init_store

QUIT = frozenset({"quit", "exit", "bye!", "/quit", "退出"})


@app.command()
def chat(
    customer: Annotated[
        int | None,
        typer.Option("--customer", help="Chat as this known (signed-in) customer id.", min=1),
    ] = None,
) -> None:
    """Chat with the customer-service assistant as a customer: type a message, read the
    reply; end with "quit" or Ctrl-D. Without --customer you are an anonymous visitor, who
    proves who they are (order number + e-mail or phone) before any order is shown. When the
    assistant hands the conversation to a person, the ticket number is printed.

    Example: crmind chat --customer 12   (or: echo "where is order #536365?" | crmind chat)
    """
    settings = current_settings()
    interactive = sys.stdin.isatty()
    with errors_as_messages():
        engine, _ = init_store(settings)
        conversation: int | None = None
        if interactive:
            console.print('Chat with the assistant ("quit" or Ctrl-D to end).', style="dim")
        while True:
            if interactive:
                console.print("you> ", end="", style="bold")
            line = sys.stdin.readline()
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in QUIT:
                break
            try:
                reply = chat_turn(
                    engine,
                    conversation,
                    text,
                    customer_id=customer,
                    channel="cli",
                    settings=settings,
                )
            except ChatError as exc:
                errors.print(Text(f"error: {exc}", style="red"))
                continue
            conversation = reply.conversation_id
            console.print(
                Text("assistant> ", style="bold cyan") + Text(reply.reply), soft_wrap=True
            )
            if reply.ticket_id is not None:
                what = "handed to a person" if reply.handed_off else "ticket opened"
                console.print(
                    Text(f"[{what}: ticket #{reply.ticket_id}]", style="yellow"), soft_wrap=True
                )
        if conversation is not None:
            console.print(Text(f"conversation #{conversation}", style="dim"))
