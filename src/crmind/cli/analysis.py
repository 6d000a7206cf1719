"""``crmind analyze``, ``crmind customer ID``, ``crmind evaluate clv`` and ``crmind export
parquet``."""

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind.analytics.lifecycle import LifecycleThresholds
from crmind.cli.app import (
    AsJson,
    app,
    console,
    current_settings,
    errors_as_messages,
    evaluate_app,
    progress_bar,
)
from crmind.cli.predict import churn_step
from crmind.cli.privacy import export_app
from crmind.cli.recommend import recommend_step
from crmind.cli.text import text_step
from crmind.config import Settings
from crmind.services.analysis import STEPS, AnalysisOptions, AnalysisResult, run_analysis
from crmind.services.audit import AuditRecord, cli_actor, record
from crmind.services.customers import customer_view
from crmind.services.engine_data import export_parquet
from crmind.services.evaluation import evaluate_clv_file
from crmind.services.setup import init_store, open_store, require_current_schema


def analysis_options(
    settings: Settings,
    as_of: datetime | None = None,
    segments: int | None = None,
    *,
    engine: str | None = None,
    spark_master: str | None = None,
    parquet: str | Path | None = None,
    jdbc: bool = False,
) -> AnalysisOptions:
    """The options of an analysis run from the settings, with the command's overrides."""
    return AnalysisOptions(
        engine=engine or settings.engine,
        spark_master=spark_master or settings.spark_master,
        spark_jars=settings.spark_jars,
        parquet_dir=str(parquet) if parquet else None,
        jdbc=jdbc,
        as_of=as_of,
        n_segments=segments,
        segment_method=settings.segment_method,
        horizon_months=settings.clv_horizon_months,
        discount_rate_monthly=settings.clv_discount_rate_monthly,
        lifecycle=LifecycleThresholds(
            new_days=settings.lifecycle_new_days,
            at_risk_ratio=settings.lifecycle_at_risk_ratio,
            lapsed_ratio=settings.lifecycle_lapsed_ratio,
            churned_ratio=settings.lifecycle_churned_ratio,
            churn_days=settings.lifecycle_churn_days,
        ),
        random_state=settings.random_state,
    )


def run_with_progress(engine_settings: Settings, options: AnalysisOptions) -> AnalysisResult:
    """Run the analysis with a Rich progress bar, one tick per step."""
    engine, _ = init_store(engine_settings)  # a writing command brings the schema up to date
    with progress_bar() as progress:
        task = progress.add_task("analysing", total=len(STEPS))

        def step(name: str) -> None:
            done = STEPS.index(name) if name in STEPS else 0
            progress.update(task, description=name, completed=done)

        result = run_analysis(engine, options, step)
        progress.update(task, completed=len(STEPS), description="done")
    return result


@app.command()
def analyze(
    as_of: Annotated[
        datetime | None,
        typer.Option(help="Observation date (default: the last order).", formats=["%Y-%m-%d"]),
    ] = None,
    segments: Annotated[
        int | None, typer.Option(help="Number of learned segments (default: by silhouette).")
    ] = None,
    churn: Annotated[
        bool, typer.Option(help="Also train, grade and score the churn model.")
    ] = True,
    recommend: Annotated[
        bool, typer.Option(help="Also train, grade and store product recommendations.")
    ] = True,
    text: Annotated[
        bool, typer.Option(help="Also analyse new feedback text (sentiment, topics, alerts).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    engine: Annotated[
        str | None,
        typer.Option(help="Where the heavy steps run: local or spark (default: CRMIND_ENGINE)."),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(help="Spark master: local[2], spark://host:7077, ... (CRMIND_SPARK_MASTER)."),
    ] = None,
    parquet: Annotated[
        str | None,
        typer.Option(
            help="Read the tables from the Parquet files of this directory or URL (hdfs://, "
            "s3a://), as crmind export parquet writes them."
        ),
    ] = None,
    jdbc: Annotated[
        bool, typer.Option(help="Spark reads the PostgreSQL store over JDBC (driver jar needed).")
    ] = False,
) -> None:
    """Profile, segment and value every customer; store the results as a model run. Then train
    the churn model, grade it against the recency rule and, if it passes, score every customer;
    store every customer's recommended products (graded against popularity); and read the new
    feedback texts (sentiment, aspects, alerts) and the topics of all feedback.

    Example: crmind analyze --as-of 2011-12-09
    Example: crmind analyze --engine spark --spark-master local[2] --parquet exported/
    """
    with errors_as_messages():
        settings = current_settings()
        options = analysis_options(
            settings,
            as_of,
            segments,
            engine=engine,
            spark_master=spark_master,
            parquet=parquet,
            jdbc=jdbc,
        )
        result = run_with_progress(settings, options)
    if as_json:
        console.print_json(json.dumps(summary_dict(result), default=str))
        return
    print_analysis(result)
    if churn and as_of is None:
        churn_step()
    if recommend and as_of is None:
        recommend_step()
    if text:
        text_step()


def summary_dict(result: AnalysisResult) -> dict[str, object]:
    """The JSON form of an analysis result."""
    return {
        "run_id": result.run_id,
        "as_of": result.as_of,
        "customers": result.customers,
        "segments": result.segments.to_dicts(),
        "rfm_segments": result.rfm_segments.to_dicts(),
        "top_clv": result.top_clv.to_dicts(),
        "most_at_risk": result.most_at_risk.to_dicts(),
        "metrics": result.metrics,
        "seconds": result.seconds,
    }


def print_analysis(result: AnalysisResult) -> None:
    """The segment table, the top customers by CLV and the customers most at risk."""
    console.print(
        f"analysis run {result.run_id}: {result.customers:,} customers as of "
        f"{result.as_of:%Y-%m-%d} in {sum(result.seconds.values()):.1f} s"
    )
    segments = Table(title="learned segments")
    for col in ("segment", "name", "customers", "value share", "description"):
        segments.add_column(col)
    for row in result.segments.iter_rows(named=True):
        segments.add_row(
            str(row["segment"]),
            str(row["name"]),
            f"{row['size']:,}",
            f"{row['value_share']:.0%}",
            str(row["description"]),
        )
    console.print(segments)
    rfm = Table(title="RFM segments")
    for col in ("segment", "customers", "value share"):
        rfm.add_column(col)
    for row in result.rfm_segments.iter_rows(named=True):
        rfm.add_row(row["rfm_segment"], f"{row['customers']:,}", f"{row['value_share']:.0%}")
    console.print(rfm)
    top = Table(title="top customers by lifetime value (next 12 months)")
    for col in ("customer", "CLV", "90% interval", "P(alive)"):
        top.add_column(col)
    for row in result.top_clv.iter_rows(named=True):
        top.add_row(
            str(row["customer_id"]),
            f"{row['clv']:,.0f}",
            f"{row['clv_low']:,.0f} .. {row['clv_high']:,.0f}",
            f"{row['p_alive']:.2f}",
        )
    console.print(top)
    risk = Table(title="most valuable customers at risk (late against their own rhythm)")
    for col in ("customer", "past value", "stage", "late (x usual gap)", "P(alive)"):
        risk.add_column(col)
    for row in result.most_at_risk.iter_rows(named=True):
        risk.add_row(
            str(row["customer_id"]),
            f"{row['monetary_total']:,.0f}",
            str(row["lifecycle_stage"]),
            f"{row['recency_ratio']:.1f}",
            f"{row['p_alive']:.2f}",
        )
    console.print(risk)


@app.command()
def customer(
    customer_id: Annotated[int, typer.Argument(help="The customer's id in the store.")],
    as_json: AsJson = False,
) -> None:
    """Show one customer's 360° view: contact, identities, orders, profile, segments, scores,
    recommendations, and feedback with its sentiment.

    Example: crmind customer 42
    """
    with errors_as_messages():
        engine = open_store(current_settings())
        require_current_schema(engine)
        view = customer_view(engine, customer_id)
        record(
            engine,
            AuditRecord(
                actor=cli_actor(),
                action="read",
                resource="customers",
                resource_id=str(customer_id),
                customer_id=customer_id,
            ),
        )
    if as_json:
        console.print_json(json.dumps(asdict(view), default=str))
        return
    console.print(f"[bold]customer {view.id}[/bold] {view.contact}")
    if view.merged_into:
        console.print(f"merged into customer {view.merged_into}")
    for kind, source, value in view.identities:
        console.print(f"  known as {kind} {source + ':' if source else ''}{value}")
    if view.profile:
        table = Table(title=f"profile (analysis run {view.analysis_run})")
        table.add_column("feature")
        table.add_column("value", justify="right")
        for key, value in view.profile.items():
            table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
        console.print(table)
    for kind, name in view.segments.items():
        console.print(f"  segment ({kind}): {name}")
    for kind, score in view.scores.items():
        low, high = score["low"], score["high"]
        interval = (
            f" [{_bound(low)} .. {_bound(high)}]" if low is not None or high is not None else ""
        )
        label = f" {score['label']}" if score["label"] else ""
        console.print(f"  score {kind}: {_bound(score['value'], 3)}{interval}{label}")
        explanation = score.get("explanation")
        if isinstance(explanation, dict) and explanation.get("reasons"):
            console.print(f"    because {explanation['reasons']}")
    orders = Table(title=f"latest orders ({view.order_count} in all)")
    for col in ("order", "date", "lines", "amount"):
        orders.add_column(col)
    for order in view.orders:
        orders.add_row(
            order.order_number + (" (return)" if order.is_return else ""),
            f"{order.occurred_at:%Y-%m-%d}",
            str(order.lines),
            f"{order.amount:,.2f}",
        )
    console.print(orders)
    if view.recommendations:
        recommended = Table(title="recommended products")
        for col in ("rank", "product", "why"):
            recommended.add_column(col)
        for item in view.recommendations:
            recommended.add_row(str(item["rank"]), str(item["product"]), str(item["reason"]))
        console.print(recommended)
    if view.feedback:
        said = Table(title="feedback")
        for col in ("date", "text", "sentiment", "because", "alert"):
            said.add_column(col)
        for item in view.feedback:
            score = item["score"]
            drivers = item["drivers"] or []
            said.add_row(
                f"{item['occurred_at']:%Y-%m-%d}" if item["occurred_at"] else "",
                item["text"],
                f"{item['label']} {score:+.2f}" if score is not None else "not analysed",
                ", ".join(f"{words} ({weight:+.1f})" for words, weight in drivers),
                item["alert"] or "",
            )
        console.print(said)


@evaluate_app.command("clv")
def evaluate_clv(
    data: Annotated[Path, typer.Option(help="Transactions file (any format crmind reads).")],
    calibration_end: Annotated[
        datetime, typer.Option(help="Last day of the calibration period.", formats=["%Y-%m-%d"])
    ],
    holdout_end: Annotated[
        datetime | None,
        typer.Option(help="Last day of the holdout period.", formats=["%Y-%m-%d"]),
    ] = None,
    customer_col: Annotated[str, typer.Option(help="Customer id column.")] = "customer_id",
    date_col: Annotated[str, typer.Option(help="Date column.")] = "date",
    amount_col: Annotated[str, typer.Option(help="Amount column.")] = "amount",
    time_unit: Annotated[str, typer.Option(help="week or day.")] = "week",
    as_json: AsJson = False,
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma on a calibration period; check a holdout.

    Example: crmind evaluate clv --data CDNOW_master.txt --customer-col customer_id
    --date-col date --amount-col dollar_value --calibration-end 1997-09-30
    --holdout-end 1998-06-30 --json
    """
    with errors_as_messages():
        report = evaluate_clv_file(
            data,
            calibration_end=calibration_end,
            holdout_end=holdout_end,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            time_unit=time_unit,
        )
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    for model, params in report.get("models", report).items():
        console.print(f"{model}: {params}")


def _bound(value: float | None, decimals: int = 2) -> str:
    """A score or interval bound; a bound the model could not put a number on is "unbounded"
    (e.g. the upper end of a CLV interval when a parameter sits at its limit)."""
    return "unbounded" if value is None else f"{value:,.{decimals}f}"


@export_app.command("parquet")
def export_parquet_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write the files to.")],
) -> None:
    """Write the tables an analysis reads (order lines, products, customers, events) as Parquet
    files, for ``crmind analyze --engine spark --parquet DIR`` on a cluster. No names or contact
    details are written.

    Example: crmind export parquet exported/
    """
    with errors_as_messages(), console.status("exporting Parquet files"):
        engine = open_store(current_settings())
        require_current_schema(engine)
        result = export_parquet(engine, directory)
    for table, rows in result.rows.items():
        console.print(f"{table}: {rows:,} rows -> {directory / (table + '.parquet')}")
