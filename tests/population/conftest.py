"""The population tests share the seeded offices (every role, all-roles officers)."""

from tests.documents.conftest import seeded  # noqa: F401
