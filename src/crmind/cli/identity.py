"""``crmind identity ...`` (find, review, merge and unmerge duplicates) and
``crmind evaluate identity``."""

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.identity.resolve import DEFAULT_THRESHOLD, ResolveOptions
from crmind.services.audit import AuditRecord, cli_actor
from crmind.services.audit import record as audit
from crmind.services.identity import Duplicates, find_duplicates, merge_duplicates
from crmind.services.identity_evaluation import evaluate_identity_files
from crmind.services.identity_store import exclude_pair, merge_history, unmerge
from crmind.services.setup import init_store

identity_app = typer.Typer(
    help="Find duplicate customers, review them, merge and unmerge.", no_args_is_help=True
)
app.add_typer(identity_app, name="identity")

Threshold = Annotated[
    float, typer.Option(help="Match probability at or above which records are one customer.")
]


@identity_app.command("candidates")
def candidates(
    threshold: Threshold = DEFAULT_THRESHOLD,
    min_probability: Annotated[
        float, typer.Option(help="List pairs from this probability up.")
    ] = 0.5,
    limit: Annotated[int, typer.Option(help="At most this many pairs.", min=1)] = 50,
    as_json: AsJson = False,
) -> None:
    """List likely duplicate customers with their probability and the fields that agree.

    Example: crmind identity candidates --min-probability 0.8
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        found = find_duplicates(engine, threshold=threshold, min_probability=min_probability)
    if as_json:
        console.print_json(json.dumps(_payload(found, limit), default=str))
        return
    table = Table(
        title=f"likely duplicates among {found.customers:,} customers "
        f"({found.pairs.height:,} pairs from {min_probability:.2f})"
    )
    for col in ("customers", "probability", "agree", "similar", "differ"):
        table.add_column(col)
    for row in found.pairs.head(limit).iter_rows(named=True):
        table.add_row(
            f"{row['customer_a']} & {row['customer_b']}",
            f"{row['probability']:.3f}",
            ", ".join(row.get("agree") or []),
            ", ".join(row.get("similar") or []),
            ", ".join(row.get("differ") or []),
        )
    console.print(table)
    console.print(
        f"{len(found.clusters):,} cluster(s) at or above {threshold:.2f}: "
        "`crmind identity merge` shows them, `--apply` merges them"
    )


@identity_app.command("merge")
def merge(
    threshold: Threshold = DEFAULT_THRESHOLD,
    apply: Annotated[
        bool, typer.Option("--apply", help="Merge; without it, only show what would merge.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Merge every cluster of duplicates into one surviving customer (dry run by default).

    Orders, events, feedback and identities move to the survivor in one transaction per
    cluster; each merge is recorded and can be undone with `crmind identity unmerge ID`.

    Example: crmind identity merge --threshold 0.95 --apply
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        found, result = merge_duplicates(engine, threshold=threshold, apply=apply)
        if result is not None:
            audit(
                engine,
                *(
                    AuditRecord(
                        actor=cli_actor(),
                        action="merge",
                        resource="customers",
                        resource_id=str(cluster.survivor_id),
                        customer_id=cluster.survivor_id,
                        detail={"merge_ids": list(cluster.merge_ids)},
                    )
                    for cluster in result.merged
                ),
            )
    if as_json:
        payload: dict[str, Any] = {"applied": apply, "clusters": found.clusters}
        if result is not None:
            payload["merged"] = [vars(cluster) for cluster in result.merged]
            payload["refused"] = [vars(cluster) for cluster in result.refused]
        console.print_json(json.dumps(payload, default=str))
        return
    if not found.clusters:
        console.print(f"no duplicates at or above {threshold:.2f} among {found.customers:,}")
        return
    if result is None:
        console.print(f"dry run: {len(found.clusters):,} cluster(s) would merge")
        for cluster in found.clusters[:50]:
            console.print("  " + " + ".join(map(str, cluster)))
        console.print("run again with --apply to merge them")
        return
    for merged in result.merged:
        console.print(
            f"merged {', '.join(map(str, merged.merged_ids))} into {merged.survivor_id} "
            f"(merge ids {', '.join(map(str, merged.merge_ids))})"
        )
    for refused in result.refused:
        console.print(f"[yellow]kept apart {refused.customer_ids}: {refused.reason}[/yellow]")


@identity_app.command("unmerge")
def unmerge_command(
    merge_id: Annotated[int, typer.Argument(help="The merge to undo (see `identity history`).")],
) -> None:
    """Undo a merge: the merged customer and every row that moved with it come back.

    Example: crmind identity unmerge 12
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        unmerge(engine, merge_id)
        audit(
            engine,
            AuditRecord(
                actor=cli_actor(),
                action="unmerge",
                resource="identity_merges",
                resource_id=str(merge_id),
            ),
        )
    console.print(f"merge {merge_id} undone")


@identity_app.command("not-same")
def not_same(
    first: Annotated[int, typer.Argument(help="A customer id.")],
    second: Annotated[int, typer.Argument(help="Another customer id.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
) -> None:
    """Record that two customers are different people: they will never be merged.

    Example: crmind identity not-same 17 42 --reason "twins"
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        added = exclude_pair(engine, first, second, reason)
    console.print(f"{first} and {second} are kept apart" + ("" if added else " (already recorded)"))


@identity_app.command("history")
def history(
    customer: Annotated[int | None, typer.Option(help="Only merges of this customer.")] = None,
    as_json: AsJson = False,
) -> None:
    """The merges made, newest first, with what moved and whether they were undone.

    Example: crmind identity history --customer 17
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        records = merge_history(engine, customer)
    if as_json:
        console.print_json(json.dumps([vars(record) for record in records], default=str))
        return
    table = Table(title="merges")
    for col in ("merge", "survivor", "merged", "probability", "moved", "when", "undone"):
        table.add_column(col)
    for record in records:
        table.add_row(
            str(record.id),
            str(record.survivor_id),
            str(record.merged_id),
            f"{record.probability:.3f}" if record.probability is not None else "",
            ", ".join(f"{name} {count}" for name, count in record.moved_counts.items() if count),
            f"{record.created_at:%Y-%m-%d %H:%M}",
            f"{record.undone_at:%Y-%m-%d %H:%M}" if record.undone_at else "",
        )
    console.print(table)


@evaluate_app.command("identity")
def evaluate_identity(
    data: Annotated[
        list[Path], typer.Option(help="A file to de-duplicate; give two to link them.")
    ],
    id_col: Annotated[str, typer.Option(help="The record id column.")],
    truth_col: Annotated[str | None, typer.Option(help="The true entity of each record.")] = None,
    truth: Annotated[
        Path | None, typer.Option(help="A file of id, entity rows instead of --truth-col.")
    ] = None,
    truth_regex: Annotated[
        str | None,
        typer.Option(help=r"The entity is this pattern's first group in the id, e.g. ^(rec-\d+)."),
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option(help="COLUMN=name|text|code|email|exact, repeatable.")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="A column not to compare.")] = None,
    threshold: Threshold = DEFAULT_THRESHOLD,
    as_json: AsJson = False,
) -> None:
    """Resolve labelled records and print pairwise precision, recall and F1, beside exact match.

    Example: crmind evaluate identity --data febrl/dataset4a.csv --data febrl/dataset4b.csv
    --id-col rec_id --truth-regex "^(rec-\\d+)" --json
    """
    with errors_as_messages():
        report = evaluate_identity_files(
            data,
            id_col=id_col,
            truth_col=truth_col,
            truth_regex=truth_regex,
            truth_path=truth,
            comparators=_comparators(field or []),
            ignore=ignore or [],
            options=ResolveOptions(threshold=threshold),
        )
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    table = Table(
        title=f"identity resolution, {report['mode']} {report['records']:,} records "
        f"(threshold {threshold:.2f})"
    )
    for col in ("method", "precision", "recall", "F1", "exact clusters"):
        table.add_column(col)
    methods = (
        ("crmind (Fellegi-Sunter)", "crmind"),
        (f"same {' + '.join(report['key_fields'])}", "same_key_baseline"),
        ("exact match on every field", "exact_match_baseline"),
    )
    for name, key in methods:
        m = report[key]
        table.add_row(
            name,
            f"{m['precision']:.4f}",
            f"{m['recall']:.4f}",
            f"{m['f1']:.4f}",
            f"{m['exact_cluster_rate']:.3f}",
        )
    console.print(table)
    console.print(
        f"{report['candidate_pairs']:,} candidate pairs kept "
        f"{report['true_pairs_in_candidates']:,} of {report['crmind']['true_pairs']:,} true pairs; "
        f"{report['seconds']:.1f} s"
    )


def _payload(found: Duplicates, limit: int) -> dict[str, Any]:
    return {
        "customers": found.customers,
        "fields": found.fields,
        "threshold": found.threshold,
        "pairs": found.pairs.head(limit).to_dicts(),
        "clusters": found.clusters,
    }


def _comparators(options: list[str]) -> dict[str, str]:
    pairs = {}
    for option in options:
        match = re.fullmatch(r"\s*([^=]+?)\s*=\s*(\w+)\s*", option)
        if not match:
            raise typer.BadParameter(f"{option!r}: expected COLUMN=COMPARATOR")
        pairs[match.group(1)] = match.group(2)
    return pairs
