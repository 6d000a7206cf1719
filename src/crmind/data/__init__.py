"""Data sets bundled with crmind (see README "Data credits" and NOTICE)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent
ONLINE_RETAIL = DATA_DIR / "online_retail.csv.xz"
"""UCI Online Retail (Chen, Sain & Guo 2012), CC BY 4.0: 541,909 invoice lines, 2010-12..2011-12."""
ONLINE_RETAIL_ROWS = 541_909
UCI_SENTENCES = DATA_DIR / "uci_sentiment_sentences.csv.xz"
"""UCI Sentiment Labelled Sentences (Kotzias et al. 2015), CC BY 4.0: 3 x 1,000 review sentences
(``source`` amazon / yelp / imdb, ``text``, ``label`` 1 positive / 0 negative)."""
VADER_LEXICON = DATA_DIR / "vader_lexicon.tsv.xz"
"""VADER's sentiment lexicon (Hutto & Gilbert 2014), MIT licence: 7,520 English words, emoticons
and slang with their mean valence from -4 to 4."""
SENTIMENT_MODEL = DATA_DIR / "sentiment_default.pkl.xz"
"""crmind's shipped sentiment model (trained by scripts/train_sentiment_model.py)."""
