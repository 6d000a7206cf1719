"""``crmind demo``: the demo store from the bundled data, with a report."""

from rich.table import Table

from crmind.cli.analysis import analysis_options, print_analysis, run_with_progress
from crmind.cli.app import (
    app,
    console,
    current_settings,
    errors_as_messages,
    progress_bar,
)
from crmind.cli.importing import print_summary
from crmind.cli.predict import churn_step
from crmind.cli.recommend import recommend_step
from crmind.cli.text import text_step
from crmind.services.demo import (
    StoreReport,
    import_demo_data,
    import_demo_feedback,
    store_report,
)
from crmind.services.demo_assistant import DemoConversation, demo_conversation
from crmind.services.setup import init_store


@app.command()
def demo() -> None:
    """Build the demo store from the bundled UCI Online Retail data, analyse it, report.

    Prints the import summary, the store at a glance, the learned and RFM segments, the top
    customers by lifetime value, the valuable customers most at risk, a sample of the
    recommended products with their reasons, and the topics of the bundled UCI review sentences
    (imported as feedback) with their sentiment, and a conversation with the service assistant
    on the demo knowledge base (store policies in English and Chinese). The demo store is
    demo.db in the data directory unless --db names another.
    Example: crmind demo
    """
    with errors_as_messages():
        settings = current_settings()
        if settings.database_url is None:
            settings = settings.model_copy(
                update={"database_url": f"sqlite:///{settings.data_dir / 'demo.db'}"}
            )
        engine, _ = init_store(settings)
        console.print(f"demo store: {engine.url.render_as_string(hide_password=True)}")
        with progress_bar() as progress:
            task = progress.add_task("importing UCI Online Retail", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = import_demo_data(
                engine, reports_dir=settings.data_dir / "reports", progress=report
            )
        print_summary(summary)
        feedback = import_demo_feedback(engine, reports_dir=settings.data_dir / "reports")
        console.print(
            f"feedback: {feedback.rows_read:,} review sentences (UCI, bundled) read, "
            f"{feedback.rows_rejected:,} rejected"
        )
        _print_report(store_report(engine))
        print_analysis(run_with_progress(settings, analysis_options(settings)))
        churn_step(settings=settings)
        recommend_step(settings=settings)
        text_step(settings=settings)
        _print_conversation(demo_conversation(engine, settings))
        url = engine.url.render_as_string(hide_password=True)
        console.print(f"explore it: crmind --db {url} status")


def _print_report(report: StoreReport) -> None:
    table = Table(title="the store at a glance")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("customers (with orders)", f"{report.customers:,}")
    table.add_row("orders / returns", f"{report.orders:,} / {report.returns:,}")
    table.add_row("guest orders (no customer)", f"{report.guest_orders:,}")
    table.add_row("order lines / products", f"{report.order_lines:,} / {report.products:,}")
    table.add_row(
        "revenue gross / net of returns", f"{report.gross_revenue:,.2f} / {report.net_revenue:,.2f}"
    )
    if report.first_order and report.last_order:
        table.add_row("period", f"{report.first_order:%Y-%m-%d} .. {report.last_order:%Y-%m-%d}")
    table.add_row("customers who ordered again", f"{report.repeat_customer_share:.1%}")
    for country, revenue in report.top_countries:
        table.add_row(f"  revenue {country}", f"{revenue:,.2f}")
    for product, revenue in report.top_products:
        table.add_row(f"  top product {product}", f"{revenue:,.2f}")
    console.print(table)


def _print_conversation(conversation: DemoConversation) -> None:
    knowledge = conversation.knowledge
    table = Table(
        title=f"the service assistant (demo knowledge base: {knowledge.read} articles, "
        f"{', '.join(f'{n} {language}' for language, n in sorted(knowledge.languages.items()))})"
    )
    for column in ("customer", "assistant", "intent", "source / action"):
        table.add_column(column, overflow="fold")
    for message, reply in conversation.turns:
        cited = ", ".join(str(c.get("title")) for c in reply.citations)
        done = f"ticket #{reply.ticket_id}" if reply.ticket_id else (reply.action or "")
        answer = reply.reply if len(reply.reply) <= 160 else reply.reply[:157] + "..."
        table.add_row(message, answer, f"{reply.intent} ({reply.confidence:.2f})", cited or done)
    console.print(table)
