"""The store: the one source of truth (SQLAlchemy 2 + Alembic; SQLite by default, PostgreSQL by URL)."""
