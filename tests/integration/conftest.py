"""The integration tests share the suite's fixtures (tests/conftest.py): ``db``, ``demo``, ``demo_db``."""
