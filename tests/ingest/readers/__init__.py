"""Tests of crmind.ingest.readers."""
