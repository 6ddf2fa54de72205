"""cdk-nag: the stack synthesizes with the AwsSolutions pack (the session fixture would fail otherwise), every
acknowledgement has a reason, and an unacknowledged finding stops a synth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_stack_passes_awssolutions(synthesized):
    _, _, assembly = synthesized
    report = Path(assembly.directory) / "validation-report.json"
    if report.exists():  # written only when a plugin ran; it must hold no violations
        data = json.loads(report.read_text())
        violations = [v for p in data.get("pluginReports", []) for v in p.get("violations", [])]
        assert violations == []


def test_every_acknowledgement_has_a_reason():
    import ast

    root = Path(__file__).resolve().parents[2] / "infra"
    count = 0
    for source in root.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Acknowledgment":
                keywords = {k.arg: k.value for k in node.keywords}
                assert "reason" in keywords, f"{source.name}:{node.lineno}"
                reason = keywords["reason"]
                if isinstance(reason, ast.Constant):
                    assert len(reason.value) > 30, f"{source.name}:{node.lineno} reason too short"
                count += 1
    assert count >= 10


def test_an_unacknowledged_finding_fails_the_synth(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bad")
    sqs.Queue(stack, "PlainQueue")  # no DLQ, no TLS-only policy
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
