"""``crmind kb import|list|search`` and ``crmind evaluate faq``: the assistant's knowledge base."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind.assistant.knowledge import ArticleColumns
from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.services.knowledge import (
    DEMO_KNOWLEDGE,
    get_article,
    import_articles,
    knowledge_index,
    list_articles,
)
from crmind.services.knowledge_evaluation import evaluate_faq_files
from crmind.services.setup import init_store

kb_app = typer.Typer(
    help="The assistant's knowledge base: import, list and search articles.", no_args_is_help=True
)
app.add_typer(kb_app, name="kb")

Language = Annotated[str | None, typer.Option(help="Only articles in this language (en, zh...).")]
Embeddings = Annotated[
    bool,
    typer.Option(help="Fuse BM25 with multilingual E5 embeddings (needs crmind[embeddings])."),
]


@kb_app.command("import")
def import_(
    path: Annotated[
        Path | None,
        typer.Argument(help="A Markdown, CSV, XLSX or JSON file, or a directory of them."),
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="Import the demo store's policies (English and Chinese).")
    ] = False,
    title_col: Annotated[str, typer.Option(help="Tables: the title column.")] = "title",
    body_col: Annotated[str, typer.Option(help="Tables: the body (answer) column.")] = "body",
    language_col: Annotated[
        str | None, typer.Option(help="Tables: the language column (default: 'language').")
    ] = None,
    tags_col: Annotated[
        str | None, typer.Option(help="Tables: the tags column (default: 'tags').")
    ] = None,
    key_col: Annotated[
        str | None, typer.Option(help="Tables: the key column (default: 'key').")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Language of articles that do not say (else detected).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Import knowledge-base articles; a second import of the same keys updates them.

    Markdown: one article per '## ' heading (or one per file under its '# ' title), with
    optional front matter (language, tags). Tables: one article per row.

    Example: crmind kb import policies/ ; crmind kb import faq.csv --title-col question
    --body-col answer --language en
    """
    if (path is None) == (not demo):
        typer.echo("give a FILE or --demo", err=True)
        raise typer.Exit(2)
    columns = ArticleColumns(
        title=title_col,
        body=body_col,
        language=language_col,
        tags=tags_col,
        key=key_col,
        default_language=language,
    )
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        result = import_articles(engine, path or DEMO_KNOWLEDGE, columns)
    if as_json:
        console.print_json(json.dumps(asdict(result)))
        return
    languages = ", ".join(f"{n:,} {lang}" for lang, n in sorted(result.languages.items()))
    console.print(
        f"{result.read:,} articles read ({languages}): {result.created:,} new, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged"
    )


@kb_app.command("list")
def list_(
    language: Language = None,
    tag: Annotated[str | None, typer.Option(help="Only articles with this tag.")] = None,
    as_json: AsJson = False,
) -> None:
    """List the stored articles (key, language, tags, title).

    Example: crmind kb list --language zh
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        articles = list_articles(engine, language=language, tag=tag)
    if as_json:
        console.print_json(json.dumps([asdict(article) for article in articles]))
        return
    if not articles:
        console.print("no articles: import some with `crmind kb import FILE` (or --demo)")
        return
    table = Table(title=f"{len(articles):,} articles")
    for col in ("id", "key", "lang", "tags", "title"):
        table.add_column(col)
    for article in articles:
        table.add_row(
            str(article.id), article.key, article.language, ", ".join(article.tags), article.title
        )
    console.print(table)


@kb_app.command("show")
def show(key: Annotated[str, typer.Argument(help="The article's key or id.")]) -> None:
    """Print one article.

    Example: crmind kb show returns.en/refund-time
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        article = get_article(engine, int(key) if key.isdigit() else key)
    console.print(f"[bold]{article.title}[/bold]  ({article.key}, {article.language})")
    console.print(article.body, markup=False)


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="A customer's question.")],
    language: Language = None,
    k: Annotated[int, typer.Option("-k", help="How many articles.", min=1)] = 5,
    embeddings: Embeddings = False,
    as_json: AsJson = False,
) -> None:
    """Search the knowledge base as the assistant does; marks the hits it would cite.

    Example: crmind kb search "how long does a refund take" --language en
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        index = knowledge_index(engine, embeddings=embeddings)
        hits = index.search(query, language=language, k=k)
    if as_json:
        found = [{**asdict(hit), "answerable": index.answerable(hit)} for hit in hits]
        console.print_json(json.dumps(found))
        return
    if not hits:
        console.print("no article matches")
        return
    table = Table(title=f"{query!r}")
    for col in ("rank", "score", "match", "cites", "key", "title"):
        table.add_column(col)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            f"{hit.match:.2f}",
            "yes" if index.answerable(hit) else "",
            hit.article.key,
            hit.article.title,
        )
    console.print(table)


@evaluate_app.command("faq")
def evaluate_faq(
    kb: Annotated[Path, typer.Option(help="The FAQ file: questions and answers.")],
    kb_answer_col: Annotated[str, typer.Option(help="The FAQ file's answer column.")],
    queries: Annotated[Path, typer.Option(help="The queries (may be the FAQ file itself).")],
    query_col: Annotated[str, typer.Option(help="The queries' text column.")],
    expected_col: Annotated[str, typer.Option(help="The queries' expected-answer column.")],
    kb_question_col: Annotated[
        str | None,
        typer.Option(help="The FAQ file's question column (omit to search the answers alone)."),
    ] = None,
    embeddings: Annotated[
        bool, typer.Option(help="Also embeddings alone and fused with BM25 (slow to build).")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """hit@1, hit@5 and MRR of knowledge-base search (BM25, a TF-IDF baseline, and with
    --embeddings E5 alone and fused) on a FAQ file. A query never finds its own question: with
    the FAQ file as the queries, each question that shares its answer with another is a query.

    Example: crmind evaluate faq --kb BankFAQs.csv --kb-question-col Question --kb-answer-col
    Answer --queries BankFAQs.csv --query-col Question --expected-col Answer --json
    """
    with errors_as_messages(), console.status("searching every query"):
        report = evaluate_faq_files(
            kb,
            kb_question_col=kb_question_col,
            kb_answer_col=kb_answer_col,
            queries=queries,
            query_col=query_col,
            expected_col=expected_col,
            embeddings=embeddings,
        )
    if as_json:
        console.print_json(json.dumps(report))
        return
    counts = report["queries"]
    console.print(
        f"{report['kb']['articles']:,} articles from {report['kb']['file']}; "
        f"{counts['evaluated']:,} queries from {counts['file']} "
        f"({counts['skipped']:,} left out: no other article has their answer)"
    )
    table = Table()
    for col in ("method", "hit@1", "hit@5", "MRR", "queries/s", "answered", "answered right"):
        table.add_column(col)
    for method, graded in report["methods"].items():
        answerable = graded.get("answerable", {})
        speed = graded["queries_per_second"]
        right = answerable.get("answered_right")
        table.add_row(
            method,
            f"{graded['hit@1']:.3f}",
            f"{graded['hit@5']:.3f}",
            f"{graded['mrr']:.3f}",
            "" if speed is None else f"{speed:,.0f}",
            f"{answerable['answered']:.1%}" if answerable else "",
            "" if right is None else f"{right:.1%}",
        )
    console.print(table)
