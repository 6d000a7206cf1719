"""The store: the one source of truth (SQLAlchemy 2 + Alembic; SQLite default, PostgreSQL)."""
