"""Fixtures for community tests (the automation tests' quiet live server)."""

from tests.automation.conftest import quiet

__all__ = ["quiet"]
