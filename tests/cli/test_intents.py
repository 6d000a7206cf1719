"""``crmind intents train|classify`` and ``crmind evaluate intent``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from crmind.cli import app

runner = CliRunner()

MESSAGES = {
    "order_status": ["where is my order", "has my order shipped", "track my parcel",
                     "order status please", "when will my order arrive", "is my parcel late"],
    "return_refund": ["I want a refund", "refund my money", "give me my money back",
                      "refund please", "how do I return this", "send it back for a refund"],
    "greeting": ["hello", "hi there", "good morning", "hey", "hello again", "hi, good evening"],
}  # fmt: skip
SPEC = """
intents:
  - name: order_status
    examples: [where is my order, has my order shipped, track my parcel, order status please]
  - name: return_refund
    examples: [I want a refund, refund my money, give me my money back, refund please]
out_of_scope:
  en: [tell me a joke, what is the weather, who won the game]
"""


def labelled_csv(path: Path, label_col: str = "intent") -> Path:
    rows = [(text, intent) for intent, texts in MESSAGES.items() for text in texts]
    pl.DataFrame({"message": [r[0] for r in rows], label_col: [r[1] for r in rows]}).write_csv(path)
    return path


def splits_json(path: Path) -> Path:
    pairs = [[text, intent] for intent, texts in MESSAGES.items() for text in texts]
    document = {
        "train": pairs,
        "oos_train": [["tell me a joke", "oos"], ["what is the weather", "oos"]],
        "test": pairs[::2],
        "oos_test": [["who won the football game", "oos"], ["sing me a song", "oos"]],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_train_on_an_intent_set_then_the_data_dir_model_is_used(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    trained = runner.invoke(app, [*base, "intents", "train", "--spec", str(spec)])
    assert trained.exit_code == 0, trained.output
    assert "from shop.yaml" in trained.stdout
    assert (tmp_path / "data" / "models" / "intents.pkl").exists()
    read = runner.invoke(app, [*base, "intents", "classify", "refund please now", "--json"])
    assert read.exit_code == 0, read.output
    [prediction] = json.loads(read.stdout)
    assert prediction["intent"] == "return_refund"
    assert [name for name, _ in prediction["alternatives"]] == ["order_status"]


def test_classify_without_a_trained_model_uses_the_shipped_one(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path), "intents", "classify", "我要退货", "hi", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert [p["intent"] for p in json.loads(result.stdout)] == ["return_refund", "greeting"]


def test_train_on_a_labelled_file(tmp_path: Path) -> None:
    data = labelled_csv(tmp_path / "labelled.csv")
    model = tmp_path / "mine.pkl"
    result = runner.invoke(
        app,
        ["intents", "train", "--data", str(data), "--text-col", "message", "--label-col",
         "intent", "--output", str(model), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["data"]["texts"] == 18
    assert report["model"]["intents"] == 3
    read = runner.invoke(app, ["intents", "classify", "--model", str(model), "track my order"])
    assert "order_status" in read.stdout


def test_evaluate_a_table_without_out_of_scope_messages(tmp_path: Path) -> None:
    data = labelled_csv(tmp_path / "labelled.csv")
    result = runner.invoke(
        app,
        ["evaluate", "intent", "--train", str(data), "--test", str(data), "--text-col",
         "message", "--label-col", "intent", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["closed_set_accuracy"] == 1.0  # graded on its own training data
    assert report["out_of_scope_recall"] is None
    assert report["model"]["threshold_chosen_on"] == "cross-validation"
    text = runner.invoke(
        app,
        ["evaluate", "intent", "--train", str(data), "--test", str(data), "--text-col",
         "message", "--label-col", "intent"],
    )  # fmt: skip
    assert "closed set accuracy" in text.stdout
    assert "no out-of-scope messages" in text.stdout


def test_evaluate_splits_of_a_json_file_with_out_of_scope_messages(tmp_path: Path) -> None:
    data = str(splits_json(tmp_path / "splits.json"))
    result = runner.invoke(
        app,
        ["evaluate", "intent", "--train", data, "--train-split", "train,oos_train", "--test",
         data, "--test-split", "test,oos_test", "--val", data, "--val-split",
         "test,oos_test", "--oos-label", "oos", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["train"]["out_of_scope"] == 2
    assert report["test"] == {
        "source": "splits.json [test,oos_test]",
        "texts": 11,
        "intents": 3,
        "out_of_scope": 2,
    }
    assert report["model"]["threshold_chosen_on"] == "held-out data"
    for key in ("accuracy", "macro_f1", "in_scope_accuracy", "out_of_scope_recall"):
        assert 0 <= report[key] <= 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--label-col", "label"], "labelled.csv: no column ['label']; columns found"),
        (["--label-col", "intent", "--train-split", "train"], "split 'train' given"),
    ],
)
def test_evaluate_names_the_file_and_what_is_wrong(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    data = str(labelled_csv(tmp_path / "labelled.csv"))
    result = runner.invoke(
        app,
        ["evaluate", "intent", "--train", data, "--test", data, "--text-col", "message",
         *arguments],
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_unknown_splits_and_empty_files_are_named(tmp_path: Path) -> None:
    data = str(splits_json(tmp_path / "splits.json"))
    unknown = runner.invoke(
        app, ["evaluate", "intent", "--train", data, "--train-split", "training", "--test", data]
    )
    assert unknown.exit_code == 1
    output = " ".join(unknown.output.split())
    assert "splits.json: has no split 'training'; splits found: ['train', 'oos_train'" in output
    no_split = runner.invoke(app, ["evaluate", "intent", "--train", data, "--test", data])
    assert "is a JSON object of splits: name one or more" in " ".join(no_split.output.split())
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = runner.invoke(app, ["evaluate", "intent", "--train", str(empty), "--test", data])
    assert result.exit_code == 1
    assert "empty.csv: is empty" in result.output
    pairs = tmp_path / "bad.json"
    pairs.write_text(json.dumps({"train": [["only a text"]]}))
    bad = runner.invoke(
        app, ["intents", "train", "--data", str(pairs), "--split", "train", "--output",
              str(tmp_path / "m.pkl")],
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "split 'train', item 1: expected a [text, label] pair" in " ".join(bad.output.split())


def test_train_refuses_both_a_spec_and_a_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["intents", "train", "--spec", "a.yaml", "--data", "b.csv", "--output", "x.pkl"]
    )
    assert result.exit_code == 1
    assert "either --spec or --data" in result.output


def test_train_with_finetune_saves_a_model_that_joins_the_fine_tuned_reader(
    tmp_path: Path,
) -> None:
    pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")
    base = ["--data-dir", str(tmp_path / "data")]
    data = labelled_csv(tmp_path / "labelled.csv")
    arguments = ["intents", "train", "--data", str(data), "--text-col", "message"]
    trained = runner.invoke(
        app, [*base, *arguments, "--label-col", "intent", "--finetune", "--json"]
    )
    assert trained.exit_code == 0, trained.output
    weight = json.loads(trained.stdout)["model"]["finetuned_weight"]
    assert 0.0 <= weight <= 1.0
    read = runner.invoke(app, [*base, "intents", "classify", "I want my money back", "--json"])
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout)[0]["intent"] == "return_refund"
