"""Build the CDK app: validated configuration, the stack, and cdk-nag's AwsSolutions checks."""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import DeployConfig
from infra.stack import SdapiStack

STACK_NAME = "Sdapi"


def build_app(
    app: cdk.App,
    config: DeployConfig | None = None,
    *,
    nag: bool = True,
    image_directory: Path | None = None,
    env: cdk.Environment | None = None,
) -> cdk.App:
    """Add the stack (and the nag pack) to `app`. Without `config`, the app's context is validated.
    Without `env`, the CLI's `CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION` (either may be unset)."""
    if config is None:
        config = DeployConfig.from_context(app.node.get_all_context())
    if env is None:
        env = cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        )
    SdapiStack(
        app,
        STACK_NAME,
        config=config,
        env=env,
        image_directory=image_directory,
        description="sdapi: self-hosted Stable Diffusion API (SageMaker async, scale to zero)",
    )
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
