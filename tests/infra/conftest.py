"""One synth per session: the default configuration, cdk-nag's AwsSolutions pack on, bundling skipped
(`aws:cdk:bundling-stacks: []`), so the tests need no Docker, no network and no credentials."""

from __future__ import annotations

import pytest

from tests.infra.synth import ROOT, synth


@pytest.fixture(scope="session")
def image_directory(tmp_path_factory):
    """None (the repository's Dockerfile), or a stand-in folder when the Dockerfile is missing."""
    from infra.inference import DOCKERFILE

    if (ROOT / DOCKERFILE).is_file():
        return None
    directory = tmp_path_factory.mktemp("image")  # test_inference.py fails on this; the rest still runs
    (directory / DOCKERFILE).parent.mkdir(parents=True)
    (directory / DOCKERFILE).write_text("FROM scratch\n")
    return directory


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory, image_directory):
    """The environment-agnostic synth (no account, no region); config validated from the context, as
    app.py does; raises ValidationFailed on any unacknowledged cdk-nag finding."""
    return synth(tmp_path_factory.mktemp("cdk.out"), image_directory)


@pytest.fixture(scope="session")
def stack(synthesized):
    return synthesized[1]


@pytest.fixture(scope="session")
def template(synthesized):
    from aws_cdk.assertions import Template

    return Template.from_stack(synthesized[1])


@pytest.fixture(scope="session")
def resources(template) -> dict:
    return template.to_json()["Resources"]
