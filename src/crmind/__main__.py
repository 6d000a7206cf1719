"""Allow ``python -m crmind``."""

from crmind.cli import main

main()
