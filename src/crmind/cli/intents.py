"""``crmind intents train|classify`` and ``crmind evaluate intent``."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crmind.assistant.intents import default_classifier, trained_model_path
from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.errors import ConfigurationError
from crmind.services.intent_evaluation import evaluate_intents, train_intents
from crmind.services.intent_files import IntentData, read_intent_data, read_intent_set

intents_app = typer.Typer(
    help="The assistant's intent classifier: train it, try it.", no_args_is_help=True
)
app.add_typer(intents_app, name="intents")

TextCol = Annotated[str, typer.Option(help="The column (or JSON field) holding the message.")]
LabelCol = Annotated[str, typer.Option(help="The column (or JSON field) holding the intent.")]
OosLabel = Annotated[
    str | None,
    typer.Option(help="The label of out-of-scope messages (CLINC150: oos)."),
]
Embeddings = Annotated[
    bool,
    typer.Option(
        help="Add multilingual-e5-small sentence embeddings to the n-grams "
        "(pip install 'crmind[embeddings]'; more accurate, about 50x slower per message)."
    ),
]

Finetune = Annotated[
    bool,
    typer.Option(
        help="Also fine-tune E5's top layers on the messages and weigh their reading against "
        "the SVM's (pip install 'crmind[finetune]', torch; minutes to train on two cores)."
    ),
]


def _split_help(what: str) -> Any:
    return typer.Option(
        help=f"Splits of a JSON object of splits to {what}, joined by commas (CLINC150: "
        "train,oos_train / val,oos_val / test,oos_test)."
    )


@intents_app.command("train")
def train(
    spec: Annotated[
        Path | None,
        typer.Option(help="An intent set in YAML (default: the shipped retail set)."),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Or a file of labelled messages (CSV, XLSX, JSON...).")
    ] = None,
    split: Annotated[str | None, _split_help("train on")] = None,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    oos_label: OosLabel = None,
    embeddings: Embeddings = False,
    finetune: Finetune = False,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to save (default: the data dir's models/intents.pkl, "
            "which the assistant then uses)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Train the assistant's intent classifier on an intent set or a labelled file; saved in
    the data directory, the assistant uses it instead of the shipped one.

    Example: crmind intents train --spec my_intents.yaml
    """
    settings = current_settings()
    target = output or trained_model_path(settings.data_dir)
    with errors_as_messages():
        if spec is not None and data is not None:
            raise ConfigurationError("give either --spec or --data, not both")
        source = IntentData(data, split) if data is not None else None
        with console.status("reading the labelled messages"):
            messages = (
                read_intent_data(
                    source, text_col=text_col, label_col=label_col, oos_label=oos_label
                )
                if source is not None
                else read_intent_set(spec)
            )
        with console.status(f"training on {len(messages.texts):,} messages"):
            report = train_intents(messages, target, embeddings=embeddings, finetune=finetune)
    if as_json:
        console.print_json(json.dumps(report))
        return
    model, fitted = report["model"], report["model"]["calibration"]
    console.print(
        f"trained on {report['data']['texts']:,} messages of {model['intents']} intents "
        f"({report['data']['out_of_scope']:,} out of scope) from {report['data']['source']}: "
        f"saved to {report['model_path']}"
    )
    console.print(
        f"cross-validation: accuracy {fitted['closed_set_accuracy']:.1%} before refusals, "
        f"{fitted['in_scope_accuracy']:.1%} after; out-of-scope threshold "
        f"{model['threshold']:.3f}"
        + (
            f" (refuses {fitted['out_of_scope_recall']:.0%} of the out-of-scope examples)"
            if fitted["out_of_scope_recall"] is not None
            else ""
        )
    )


@intents_app.command("classify")
def classify(
    texts: Annotated[list[str], typer.Argument(help="Messages to read.")],
    model: Annotated[
        Path | None,
        typer.Option(
            help="A model from `crmind intents train --output` (default: the "
            "data dir's, else the shipped one)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Read messages as the assistant does: intent, confidence, next best intents.

    Example: crmind intents classify "where is my order" "我要退货"
    """
    from crmind.assistant.intents import IntentClassifier

    with errors_as_messages():
        classifier = (
            IntentClassifier.load(model)
            if model
            else default_classifier(current_settings().data_dir)
        )
        predictions = classifier.predict(texts)
    if as_json:
        console.print_json(
            json.dumps([{"text": t, **asdict(p)} for t, p in zip(texts, predictions, strict=True)])
        )
        return
    table = Table()
    for col in ("message", "intent", "confidence", "next best"):
        table.add_column(col)
    for text, prediction in zip(texts, predictions, strict=True):
        table.add_row(
            text,
            prediction.intent,
            f"{prediction.confidence:.2f}",
            ", ".join(f"{name} {p:.2f}" for name, p in prediction.alternatives),
        )
    console.print(table)


@evaluate_app.command("intent")
def evaluate_intent(
    train: Annotated[Path, typer.Option(help="Labelled messages to train on.")],
    test: Annotated[Path, typer.Option(help="Labelled messages to grade.")],
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    oos_label: OosLabel = None,
    train_split: Annotated[str | None, _split_help("train on")] = None,
    test_split: Annotated[str | None, _split_help("grade")] = None,
    val: Annotated[
        Path | None,
        typer.Option(
            help="Held-out messages to choose the out-of-scope threshold on "
            "(default: cross-validation on the training data)."
        ),
    ] = None,
    val_split: Annotated[str | None, _split_help("choose the threshold on")] = None,
    embeddings: Embeddings = False,
    finetune: Finetune = False,
    as_json: AsJson = False,
) -> None:
    """Accuracy, macro-F1, in-scope accuracy and out-of-scope recall / precision of the
    intent classifier trained on one file and graded on another.

    Example: crmind evaluate intent --train train.csv --test test.csv --text-col text
    --label-col category

    Example: crmind evaluate intent --train data_full.json --train-split train,oos_train
    --val data_full.json --val-split val,oos_val --test data_full.json
    --test-split test,oos_test --oos-label oos
    """
    with errors_as_messages(), console.status("training and grading the intent classifier"):
        report = evaluate_intents(
            IntentData(train, train_split),
            IntentData(test, test_split),
            validation=IntentData(val, val_split) if val else None,
            text_col=text_col,
            label_col=label_col,
            oos_label=oos_label,
            embeddings=embeddings,
            finetune=finetune,
        )
    if as_json:
        console.print_json(json.dumps(report))
        return
    _print_evaluation(report)


def _print_evaluation(report: dict[str, Any]) -> None:
    model = report["model"]
    console.print(
        f"trained on {report['train']['texts']:,} messages of {model['intents']} intents "
        f"({report['train']['source']}); threshold {model['threshold']:.3f} chosen on "
        f"{model['threshold_chosen_on']}; graded on {report['test']['texts']:,} messages "
        f"({report['test']['source']})"
    )
    table = Table()
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "accuracy",
        "macro_f1",
        "closed_set_accuracy",
        "closed_set_macro_f1",
        "in_scope_accuracy",
        "in_scope_refused",
        "out_of_scope_recall",
        "out_of_scope_precision",
    ):
        value = report[key]
        table.add_row(key.replace("_", " "), "-" if value is None else f"{value:.4f}")
    console.print(table)
    if report["test"]["out_of_scope"] == 0:
        console.print(
            "no out-of-scope messages in the test data: closed-set accuracy is the figure "
            "published for such data sets (every message read by its best intent)"
        )
    if report["unknown_test_intents"]:
        console.print(
            f"[yellow]{len(report['unknown_test_intents'])} test intents were never seen in "
            f"training (always wrong): {', '.join(report['unknown_test_intents'][:5])}"
        )
    console.print(f"predict: {report['predict_texts_per_second']:,} messages/s")
