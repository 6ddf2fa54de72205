"""Fixtures for the integration tests that drive the event pipeline (stream, queues, handlers) over moto.
Modules choose their own `settings` (e.g. `webhook_settings(catalog, ...)`)."""

from __future__ import annotations

import pytest

from sdapi.aws.jobs_table import JobsTable
from tests.integration.events_harness import Pipeline


@pytest.fixture
def pipeline(aws, monkeypatch):
    return Pipeline(aws, monkeypatch)


@pytest.fixture
def table(aws):
    return JobsTable(aws.jobs_table)
