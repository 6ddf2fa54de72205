"""The synth the README tells users to run (`make synth`: the pinned CDK CLI on app.py), once per test run,
with the CLI's own environment resolution (it always has a region) and real local bundling; then cfn-lint
on the template it wrote."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

import pytest

from tests.infra.synth import LINT_REGION, ROOT, lint_errors


def makefile_cdk() -> list[str]:
    """The CDK CLI command line of the Makefile (`CDK := ...`), so the test runs what `make synth` runs."""
    match = re.search(r"^CDK := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile defines no CDK"
    return shlex.split(match.group(1))


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cli-cdk.out")
    venv_bin = ROOT / ".venv" / "bin"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))},
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}",  # this checkout, not an editable install
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [*makefile_cdk(), "synth", "--quiet", "--no-notices", "-o", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, outdir


def test_the_readme_synth_succeeds(cli_synth):
    result, _ = cli_synth
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_cli_synth_passes_cfn_lint(cli_synth):
    result, outdir = cli_synth
    if result.returncode != 0:
        pytest.fail("the CLI synth failed (see test_the_readme_synth_succeeds)")
    template = json.loads((outdir / "Sdapi.template.json").read_text())
    assert lint_errors(template, LINT_REGION) == []
