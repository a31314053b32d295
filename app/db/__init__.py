"""Database layer: engines for a shared SQLite file or PostgreSQL, units of work, migrations."""
