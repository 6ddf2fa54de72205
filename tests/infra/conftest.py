"""One synth per session: the default configuration, cdk-nag's AwsSolutions pack on, bundling skipped
(`aws:cdk:bundling-stacks: []`), so the tests need no Docker, no network and no credentials."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


def cdk_context() -> dict:
    """The context a plain `cdk synth` sees: cdk.json's, plus no bundling."""
    return {**json.loads((ROOT / "cdk.json").read_text())["context"], **NO_BUNDLING}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    import aws_cdk as cdk

    from infra.app import build_app
    from infra.inference import DOCKERFILE

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    image_directory = None
    if not (ROOT / DOCKERFILE).is_file():  # test_inference.py fails on this; the rest still runs
        image_directory = tmp_path_factory.mktemp("image")
        (image_directory / DOCKERFILE).parent.mkdir(parents=True)
        (image_directory / DOCKERFILE).write_text("FROM scratch\n")
    build_app(app, image_directory=image_directory)  # config validated from the context, as app.py does
    assembly = app.synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding
    stack = app.node.find_child("Sdapi")
    return app, stack, assembly


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
