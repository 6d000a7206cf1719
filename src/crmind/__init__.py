"""crmind: an open-source, self-hosted AI customer-relationship platform."""

__version__ = "0.1.0"
