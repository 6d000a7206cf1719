"""``crmind campaigns create|list|preview|run|report|pause|resume|webhook-secret``."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from crmind.campaigns.spec import load_spec
from crmind.cli.app import AsJson, app, console, current_settings, errors, errors_as_messages
from crmind.errors import ImportFileError
from crmind.services.campaign_delivery import webhook_secret
from crmind.services.campaign_drafts import draft_copy
from crmind.services.campaign_lists import read_customer_list
from crmind.services.campaign_preview import preview_campaign
from crmind.services.campaign_report import CampaignReport, campaign_report
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import (
    CampaignStatus,
    campaign_ref,
    create_campaign,
    get_campaign,
    list_campaigns,
    set_status,
)
from crmind.services.setup import init_store

campaigns_app = typer.Typer(
    help="Campaigns: audiences, triggers, e-mail / webhooks / exports, holdout uplift.",
    no_args_is_help=True,
)
app.add_typer(campaigns_app, name="campaigns")

CampaignArg = Annotated[str, typer.Argument(help="Campaign id or name.")]


@campaigns_app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="The campaign as YAML or JSON.", exists=False)],
    audience_file: Annotated[
        Path | None,
        typer.Option(help="A CSV list (customer_id or email column) as the audience's list."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create a campaign from a YAML/JSON specification (active at once; see docs/campaigns.md).

    Example: crmind campaigns create win-back.yaml --audience-file vip-list.csv
    """
    with errors_as_messages():
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as error:
            raise ImportFileError(file, f"cannot read the campaign file: {error}") from error
        spec = load_spec(text, source=str(file))
        engine, _ = init_store(current_settings())
        if audience_file is not None:
            listed = read_customer_list(engine, audience_file)
            for problem in listed.unmatched[:20]:
                errors.print(f"{audience_file}: {problem}", highlight=False, soft_wrap=True)
            audience = spec.audience.model_copy(update={"customer_ids": listed.customer_ids})
            spec = spec.model_copy(update={"audience": audience})
        campaign = create_campaign(engine, spec, created_by="cli")
    if as_json:
        console.print_json(json.dumps({"id": campaign.id, "name": campaign.name}))
        return
    console.print(f"campaign {campaign.id} {campaign.name!r} created (active)")


@campaigns_app.command("list")
def list_(as_json: AsJson = False) -> None:
    """List campaigns with their messages by status.

    Example: crmind campaigns list
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        rows = list_campaigns(engine)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "name", "status", "trigger", "channel", "messages")
    for row in rows:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(row["messages"].items()))
        table.add_row(
            str(row["id"]), row["name"], row["status"], row["trigger"], row["channel"], counts
        )
    console.print(table)


@campaigns_app.command("preview")
def preview(
    campaign: CampaignArg,
    customer: Annotated[
        int | None, typer.Option(help="Render the message of this customer id.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Count the audience rule by rule, the consenting and the holdout, and show one message.

    Example: crmind campaigns preview win-back --customer 12
    """
    settings = current_settings()
    with errors_as_messages():
        engine, _ = init_store(settings)
        result = preview_campaign(
            engine, settings, get_campaign(engine, campaign_ref(campaign)), customer
        )
    if as_json:
        console.print_json(json.dumps(asdict(result), default=str))
        return
    for step in result.steps:
        console.print(f"{step.remaining:>8,}  {step.rule}")
    console.print(
        f"{result.consenting:>8,}  with marketing consent: {result.treated:,} to message, "
        f"{result.holdout:,} held out"
    )
    if result.sample is not None:
        console.print(
            f"\ncustomer {result.sample_customer_id} ({result.sample_group}, "
            f"{result.sample.language}):\n[bold]{result.sample.subject}[/bold]\n{result.sample.text}",
            markup=True,
            highlight=False,
        )


@campaigns_app.command("run")
def run(
    campaign: Annotated[
        list[str] | None, typer.Option("--campaign", help="Only these campaigns (id or name).")
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="Stay until retried messages are sent or have failed.")
    ] = False,
    send: Annotated[bool, typer.Option(help="Plan only with --no-send.")] = True,
    as_json: AsJson = False,
) -> None:
    """Plan every due firing of the active campaigns and send what is due; safe to run from
    cron and several at once (each message is claimed before it is sent, and sent once).

    Example: crmind campaigns run   (from cron: */5 * * * * crmind campaigns run)
    """
    settings = current_settings()
    with errors_as_messages():
        engine, _ = init_store(settings)
        ids = [get_campaign(engine, campaign_ref(ref)).id for ref in campaign] if campaign else None
        report = run_campaigns(engine, settings, campaign_ids=ids, send=send, until_done=wait)
    if as_json:
        console.print_json(json.dumps(asdict(report), default=str))
        return
    for planned in report.planned:
        console.print(
            f"campaign {planned.campaign_id} {planned.trigger_key}: {planned.audience:,} in the "
            f"audience, {planned.no_consent:,} without consent, {planned.holdout:,} held out, "
            f"{planned.planned:,} planned, {planned.capped:,} capped"
        )
    stats = report.delivery
    console.print(
        f"{stats.sent:,} sent, {stats.retried:,} to retry, {stats.failed:,} failed"
        + (f", {stats.in_doubt:,} in doubt" if stats.in_doubt else "")
        + (
            f"; quiet hours until {stats.quiet_until:%Y-%m-%d %H:%M} UTC"
            if stats.quiet_until
            else ""
        )
    )
    for failure in stats.failures[:10]:
        console.print(f"  [red]{failure}[/red]")


@campaigns_app.command("report")
def report(campaign: CampaignArg, as_json: AsJson = False) -> None:
    """Messages by status, conversions of the treated and the holdout, and the uplift.

    Example: crmind campaigns report win-back
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        result = campaign_report(engine, campaign_ref(campaign))
    if as_json:
        console.print_json(json.dumps(report_dict(result), default=str))
        return
    _print_report(result)


def report_dict(result: CampaignReport) -> dict[str, Any]:
    data = asdict(result)
    data["campaign"] = {"id": result.campaign.id, "name": result.campaign.name}
    return data


def _print_report(result: CampaignReport) -> None:
    spec = result.campaign.spec
    console.print(f"[bold]{result.campaign.name}[/bold] ({result.campaign.status})")
    console.print(
        "messages: "
        + (", ".join(f"{n:,} {s}" for s, n in sorted(result.messages.items())) or "none")
    )
    table = Table("group", "customers", "converted", "rate", "revenue")
    for group in result.groups:
        rate = group.conversions / group.customers if group.customers else 0.0
        table.add_row(
            group.group,
            f"{group.customers:,}",
            f"{group.conversions:,}",
            f"{rate:.1%}",
            f"{group.revenue:,.2f}",
        )
    console.print(table)
    uplift = result.conversion_uplift
    if uplift is not None:
        console.print(
            f"conversion uplift within {spec.experiment.attribution_days} days: "
            f"{uplift.uplift:+.2%} ({uplift.confidence:.0%} CI {uplift.low:+.2%} to "
            f"{uplift.high:+.2%}, p = {uplift.p_value:.3g})"
        )
    if result.revenue_uplift is not None:
        money = result.revenue_uplift
        console.print(
            f"revenue per customer: {money.uplift:+,.2f} "
            f"(CI {money.low:+,.2f} to {money.high:+,.2f})"
        )
    for variant, rates in result.variant_uplifts.items():
        console.print(
            f"  variant {variant}: {rates.uplift:+.2%} ({rates.low:+.2%} to {rates.high:+.2%})"
        )
    if result.window_open_until is not None:
        console.print(
            "[yellow]the attribution window is open until "
            f"{result.window_open_until:%Y-%m-%d %H:%M} UTC: figures can still change[/yellow]"
        )


@campaigns_app.command("pause")
def pause(campaign: CampaignArg) -> None:
    """Pause a campaign: it plans and sends nothing until resumed.

    Example: crmind campaigns pause win-back
    """
    _set_status(campaign, "paused")


@campaigns_app.command("resume")
def resume(campaign: CampaignArg) -> None:
    """Resume a paused campaign.

    Example: crmind campaigns resume win-back
    """
    _set_status(campaign, "active")


def _set_status(campaign: str, status: CampaignStatus) -> None:
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        stored = set_status(engine, campaign_ref(campaign), status)
    console.print(f"campaign {stored.id} {stored.name!r} {stored.status}")


@campaigns_app.command("draft")
def draft(
    brief: Annotated[str, typer.Argument(help="What the message is about, in a sentence or two.")],
    language: Annotated[str, typer.Option(help="en or zh.")] = "en",
) -> None:
    """Have the configured language model (CRMIND_LLM_*) draft the copy, printed as the content
    part of a campaign file, with the greeting, products, coupon and unsubscribe link added.

    Example: crmind campaigns draft "20 % off tea sets this weekend" --language en
    """
    if language not in ("en", "zh"):
        typer.echo("--language must be en or zh", err=True)
        raise typer.Exit(2)
    with errors_as_messages():
        result = draft_copy(current_settings(), brief, "zh" if language == "zh" else "en")
    content = result.content.model_dump(mode="json", exclude_none=True)
    console.print(
        yaml.safe_dump({"content": content}, allow_unicode=True, sort_keys=False),
        highlight=False,
        markup=False,
    )


@campaigns_app.command("webhook-secret")
def show_webhook_secret() -> None:
    """Print the key that signs campaign webhooks (give it to the receiving system).

    Example: crmind campaigns webhook-secret
    """
    with errors_as_messages():
        console.print(webhook_secret(current_settings()).decode(), highlight=False)
