#!/usr/bin/env python3
"""CDK entry: `cdk synth` / `cdk deploy` (see docs/deploy.md). Configuration: cdk.json context."""

from __future__ import annotations

import aws_cdk as cdk

from infra.app import build_app

app = build_app(cdk.App())
app.synth()
