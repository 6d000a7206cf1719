"""The ``crmind`` command line: each command is a thin wrapper over a call into services/.

Library errors (:class:`crmind.errors.CrmindError`) become one red line on stderr and exit code 1.
Modules: ``app`` (the Typer app, global options, shared helpers) and one module per group of
commands, each registering its commands on import.
"""

from crmind.cli import (
    access,
    analysis,
    campaigns,
    chat,
    demo,
    identity,
    importing,
    intents,
    knowledge,
    predict,
    privacy,
    recommend,
    serve,
    store_commands,
    text,
)
from crmind.cli.app import app

__all__ = [
    "access",
    "analysis",
    "app",
    "campaigns",
    "chat",
    "demo",
    "identity",
    "importing",
    "intents",
    "knowledge",
    "main",
    "predict",
    "privacy",
    "recommend",
    "serve",
    "store_commands",
    "text",
]


def main() -> None:
    """Entry point of the ``crmind`` console script."""
    app()
