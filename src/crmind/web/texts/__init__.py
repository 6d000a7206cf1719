"""The dashboard's strings, one module per page (``TEXTS = {"en": {...}, "zh": {...}}``).

Add a page's module to :data:`MODULES`; :func:`crmind.web.i18n.table` merges them.
"""

from types import ModuleType

from crmind.web.texts import (
    campaigns,
    common,
    customers,
    feedback,
    imports,
    inbox,
    models,
    overview,
    segments,
)

MODULES: tuple[ModuleType, ...] = (
    common,
    overview,
    customers,
    segments,
    campaigns,
    models,
    feedback,
    inbox,
    imports,
)
