"""Data sets bundled with crmind (see README "Data credits" and NOTICE)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent
ONLINE_RETAIL = DATA_DIR / "online_retail.csv.xz"
"""UCI Online Retail (Chen, Sain & Guo 2012), CC BY 4.0: 541,909 invoice lines, 2010-12..2011-12."""
ONLINE_RETAIL_ROWS = 541_909
