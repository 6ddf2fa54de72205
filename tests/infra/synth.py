"""Support for the infra tests: synth the app as `app.py` does in a given environment, and cfn-lint a
synthesized template (errors only)."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}
ACCOUNT = "123456789012"
ENVIRONMENTS = {
    "eu-west-1": (ACCOUNT, "eu-west-1"),
    "aws-cn": (ACCOUNT, "cn-north-1"),
    "aws-us-gov": (ACCOUNT, "us-gov-west-1"),
}
"""Concrete environments the stack must synth in besides the environment-agnostic one, one per partition."""
LINT_REGION = "us-east-1"
"""cfn-lint's region for the environment-agnostic template (the region the CDK CLI falls back to)."""

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def cdk_context() -> dict:
    """The context a plain `cdk synth` sees: cdk.json's, plus no bundling."""
    return {**json.loads((ROOT / "cdk.json").read_text())["context"], **NO_BUNDLING}


def synth(outdir: Path, image_directory: Path | None, account: str | None = None, region: str | None = None):
    """Synth the default configuration with cdk-nag on; raises on any unacknowledged finding.
    Returns (app, stack, assembly)."""
    import aws_cdk as cdk

    from infra.app import STACK_NAME, build_app

    app = cdk.App(context=cdk_context(), outdir=str(outdir))
    build_app(app, image_directory=image_directory, env=cdk.Environment(account=account, region=region))
    assembly = app.synth()
    return app, app.node.find_child(STACK_NAME), assembly


def lint_errors(template: dict, region: str) -> list[str]:
    """cfn-lint's errors (rule ids E*) for a template, as 'rule path: message' lines."""
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=[region])
    return [
        f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}" for m in matches if m.rule.id[0] == "E"
    ]
