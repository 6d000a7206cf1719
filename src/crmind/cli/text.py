"""``crmind text analyze|train-sentiment`` and ``crmind evaluate sentiment|topics``."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.services.feedback_text import TextOptions, TextResult, analyse_feedback
from crmind.services.setup import init_store
from crmind.services.text_evaluation import (
    evaluate_sentiment_file,
    evaluate_topics_file,
    train_sentiment_file,
)
from crmind.text.alerts import STRONGLY_NEGATIVE
from crmind.text.aspects import DEFAULT_ASPECTS, read_aspects

text_app = typer.Typer(
    help="Feedback text: sentiment, topics, aspects and alerts.", no_args_is_help=True
)
app.add_typer(text_app, name="text")

TextCol = Annotated[str, typer.Option(help="The column holding the text.")]
LabelCol = Annotated[
    str, typer.Option(help="The label column: negative/neutral/positive, -1/0/1 or 0/1.")
]
Where = Annotated[
    str | None, typer.Option(help="Keep only rows where COLUMN=VALUE (e.g. source=imdb).")
]
WithDefaultData = Annotated[
    bool,
    typer.Option(
        help="Also train on the shipped model's data (texts overlapping the file's left out)."
    ),
]
Embeddings = Annotated[
    bool,
    typer.Option(
        help="Also read multilingual-e5-small sentence vectors, and Chinese by jieba's words "
        "(pip install 'crmind[embeddings]'; more accurate, hundreds of times slower per text)."
    ),
]
Finetune = Annotated[
    bool,
    typer.Option(
        help="Also fine-tune E5's top layers on the labels, and read Chinese by jieba's words "
        "(pip install 'crmind[finetune]'; a minute or two per thousand texts on 2 cores)."
    ),
]


def analyse_text(options: TextOptions, settings: Settings | None = None) -> TextResult:
    """Analyse the feedback of the store named by ``settings``."""
    engine, _ = init_store(settings or current_settings())
    with console.status("reading feedback: language, sentiment, aspects, topics"):
        return analyse_feedback(engine, options)


@text_app.command("analyze")
def analyze(
    model: Annotated[
        Path | None, typer.Option(help="A model from `crmind text train-sentiment`.")
    ] = None,
    topics: Annotated[int, typer.Option(help="Topics per language.", min=1)] = 8,
    aspects: Annotated[
        Path | None, typer.Option(help='Aspects as JSON: {"price": ["price", "价格"], ...}.')
    ] = None,
    reanalyse: Annotated[bool, typer.Option(help="Score every text again, not only new.")] = False,
    alert_threshold: Annotated[
        float,
        typer.Option(help="A score at or below this raises an alert (and a ticket).", max=0.0),
    ] = STRONGLY_NEGATIVE,
    embeddings: Annotated[
        bool,
        typer.Option(
            help="Score with the shipped model's E5 reader beside its n-grams (pip install "
            "'crmind[embeddings]'; better on reviews unlike its training data, tens of texts a "
            "second)."
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Score new feedback (language, sentiment with its words, aspects, alerts), find the
    topics of all feedback, and open a ticket for every alert of a known customer.

    Example: crmind text analyze --topics 8
    """
    settings = current_settings()
    with errors_as_messages():
        options = TextOptions(
            model_path=model,
            embeddings=embeddings,
            reanalyse=reanalyse,
            topics=topics,
            aspects=read_aspects(aspects) if aspects else dict(DEFAULT_ASPECTS),
            alert_threshold=alert_threshold,
            random_state=settings.random_state,
        )
        result = analyse_text(options, settings)
    if as_json:
        console.print_json(json.dumps(result, default=lambda o: o.__dict__))
        return
    print_text_run(result)


def print_text_run(result: TextResult, topics_per_language: int = 8) -> None:
    """Counts of the run, then each language's topics with their sentiment."""
    labels = ", ".join(f"{n:,} {label}" for label, n in sorted(result.labels.items()))
    languages = ", ".join(f"{n:,} {lang}" for lang, n in sorted(result.languages.items()))
    console.print(
        f"text run {result.run_id}: {result.analysed:,} new feedback texts ({labels or 'none'}; "
        f"{languages or 'no language'}); {result.alerts:,} alerts, "
        f"{result.tickets_opened:,} tickets opened"
    )
    if not result.topics:
        console.print("no topics: a language needs 30 feedback texts")
        return
    table = Table(title="topics of all feedback")
    for col in ("lang", "topic", "texts", "sentiment", "negative", "keywords"):
        table.add_column(col)
    for language in sorted({topic.language for topic in result.topics}):
        mine = [topic for topic in result.topics if topic.language == language]
        for topic in mine[:topics_per_language]:
            table.add_row(
                language,
                topic.label,
                f"{topic.size:,}",
                "" if topic.mean_score is None else f"{topic.mean_score:+.2f}",
                "" if topic.negative_share is None else f"{topic.negative_share:.0%}",
                ", ".join(topic.keywords[3:8]),
            )
    console.print(table)


@text_app.command("train-sentiment")
def train_sentiment(
    data: Annotated[Path, typer.Option(help="A file of labelled texts.")],
    text_col: TextCol,
    label_col: Annotated[
        str | None,
        typer.Option(help="The label column: negative/neutral/positive, -1/0/1 or 0/1."),
    ] = None,
    rating_col: Annotated[
        str | None,
        typer.Option(help="No labels? Star ratings as weak labels (1-2 neg, 3 neutral, 4-5 pos)."),
    ] = None,
    rating_scale: Annotated[int, typer.Option(help="Top of the rating scale.", min=2)] = 5,
    output: Annotated[
        Path | None, typer.Option(help="Where to save (default: the data dir's models/).")
    ] = None,
    with_default_data: WithDefaultData = False,
    embeddings: Embeddings = False,
    finetune: Finetune = False,
    where: Where = None,
    as_json: AsJson = False,
) -> None:
    """Train a sentiment model on your own labelled feedback (or on star ratings as weak
    labels); use it with `crmind text analyze --model PATH`.

    Example: crmind text train-sentiment --data reviews.csv --text-col review --label-col label
    """
    settings = current_settings()
    target = output or settings.data_dir / "models" / f"sentiment-{data.stem.split('.')[0]}.pkl"
    with errors_as_messages(), console.status("training the sentiment model"):
        report = train_sentiment_file(
            data,
            text_col=text_col,
            label_col=label_col,
            rating_col=rating_col,
            rating_scale=rating_scale,
            output=target,
            with_default_data=with_default_data,
            where=where,
            embeddings=embeddings,
            finetune=finetune,
        )
    if as_json:
        console.print_json(json.dumps(report))
        return
    console.print(
        f"trained on {report['trained_on']:,} texts ({report['rows']:,} from {data.name}), "
        f"classes {', '.join(report['classes'])}: saved to {report['model_path']}; "
        f"use it with `crmind text analyze --model {report['model_path']}`"
    )


@evaluate_app.command("sentiment")
def evaluate_sentiment(
    data: Annotated[Path, typer.Option(help="A file of labelled texts.")],
    text_col: TextCol,
    label_col: LabelCol,
    folds: Annotated[int, typer.Option(help="Cross-validation folds.", min=2)] = 5,
    pretrained: Annotated[
        bool, typer.Option(help="Apply the shipped model as is instead of training.")
    ] = False,
    with_default_data: WithDefaultData = False,
    embeddings: Embeddings = False,
    finetune: Finetune = False,
    where: Where = None,
    as_json: AsJson = False,
) -> None:
    """Accuracy, macro-F1 and confusion matrix of sentiment on a labelled file: a model trained
    in-domain by cross-validation, or the shipped model applied as is (--pretrained).

    Example: crmind evaluate sentiment --data ChnSentiCorp_htl_all.csv --text-col review
    --label-col label --folds 5 --json
    """
    with errors_as_messages():
        report = evaluate_sentiment_file(
            data,
            text_col=text_col,
            label_col=label_col,
            folds=folds,
            pretrained=pretrained,
            with_default_data=with_default_data,
            where=where,
            embeddings=embeddings,
            finetune=finetune,
        )
    if as_json:
        console.print_json(json.dumps(report))
        return
    how = "pretrained" if pretrained else "in_domain"
    graded = report[how]
    title = (
        "the shipped model as is" + (" with its E5 reader" if embeddings else "")
        if pretrained
        else f"{folds}-fold cross-validation"
        + (" with the default data" if with_default_data else "")
        + (" with E5 embeddings" if embeddings else "")
        + (" with fine-tuned E5" if finetune else "")
    )
    console.print(
        f"{data.name} ({report['rows']:,} texts), {title}: accuracy {graded['accuracy']:.4f}, "
        f"macro-F1 {graded['macro_f1']:.4f}"
    )
    if graded.get("texts_in_shipped_training_data"):
        console.print(
            f"[yellow]{graded['texts_in_shipped_training_data']:,} of these texts were in the "
            "shipped model's training data: this figure flatters it"
        )
    table = Table(title="confusion (rows: true, columns: predicted)")
    table.add_column("")
    for label in graded["confusion"]["labels"]:
        table.add_column(label)
    for label, row in zip(
        graded["confusion"]["labels"], graded["confusion"]["matrix"], strict=True
    ):
        table.add_row(label, *(f"{n:,}" for n in row))
    console.print(table)


@evaluate_app.command("topics")
def evaluate_topics(
    data: Annotated[Path, typer.Option(help="A file of texts.")],
    text_col: TextCol,
    topics: Annotated[int, typer.Option(help="Topics per language.", min=1)] = 8,
    where: Where = None,
    as_json: AsJson = False,
) -> None:
    """Topics per language of a file's texts, with their coherence (NPMI, UMass) beside the
    same figures for random word sets.

    Example: crmind evaluate topics --data reviews.csv --text-col review --topics 8
    """
    with errors_as_messages():
        report = evaluate_topics_file(data, text_col=text_col, topics=topics, where=where)
    if as_json:
        console.print_json(json.dumps(report))
        return
    for language, found in report["languages"].items():
        console.print(
            f"{language}: {found['texts']:,} texts; NPMI {found['npmi']:+.3f} (random words "
            f"{found['random_npmi']:+.3f}), UMass {found['umass']:.3f} (random "
            f"{found['random_umass']:.3f})"
        )
        table = Table()
        for col in ("topic", "texts", "NPMI", "keywords"):
            table.add_column(col)
        for topic in found["topics"]:
            table.add_row(
                topic["label"], f"{topic['size']:,}", f"{topic['npmi']:+.3f}",
                ", ".join(topic["keywords"]),
            )  # fmt: skip
        console.print(table)


def text_step(settings: Settings | None = None) -> TextResult | None:
    """Analyse feedback after an analysis and print the run; a store without feedback gets a
    note instead of an error (the analysis itself has succeeded)."""
    try:
        result = analyse_text(TextOptions(), settings)
    except CrmindError as exc:
        console.print(f"[yellow]feedback text not analysed: {exc}")
        return None
    print_text_run(result)
    return result
