"""The web dashboard: server-rendered pages (Jinja2 + htmx, ECharts charts) in the API's app,
with the same users, roles and audit log. See :func:`crmind.web.mount.install_dashboard`."""
