"""Lambda code without Docker: `lambdas/sdapi` plus its dependencies (Powertools included).

`LocalPipBundling` is CDK's `ILocalBundling`: it pip-installs the `lambdas` extra of pyproject.toml, minus
what the runtime already provides (boto3), as manylinux aarch64 wheels for
the Lambda's Python version, then copies the `sdapi` package next to them. Docker is only the fallback CDK
uses if local bundling reports failure. Tests skip bundling with the context `aws:cdk:bundling-stacks: []`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = ROOT / "lambdas"
PYTHON_VERSION = "3.12"
PROVIDED_AT_RUN_TIME = {"boto3", "botocore"}
"""Given by the Lambda runtime; never bundled. Powertools is bundled: no layer ARN to resolve per region."""
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer")
"""Removed from the bundle after pip (aws-xray-sdk pulls botocore in): the runtime's own copies must win,
and botocore alone is about 100 MB."""
PLATFORM = "manylinux2014_aarch64"
"""The functions run on arm64 (lambda_.Architecture.ARM_64): every bundled wheel exists for it."""

ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "*.egg-info", "**/.pytest_cache"]


def bundled_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The pinned requirements of the `lambdas` extra that must ship in the function's zip."""
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["lambdas"]
    return [req for req in extras if re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0] not in PROVIDED_AT_RUN_TIME]


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """pip install --platform PLATFORM --only-binary=:all: --target <out>, drop the runtime's packages, then
    copy sdapi."""

    def __init__(self, requirements: list[str], source: Path = LAMBDAS_DIR):
        self.requirements = requirements
        self.source = source

    def try_bundle(self, output_dir: str, *, image, **_: object) -> bool:
        out = Path(output_dir)
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-conflicts",  # --target is its own tree: the build venv's packages are irrelevant
            "--no-compile",
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            "--upgrade",
            "--target",
            str(out),
            *self.requirements,
        ]
        try:
            if self.requirements:
                subprocess.run(command, check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"local bundling failed ({error}); CDK will try Docker", file=sys.stderr)
            return False
        for name in RUNTIME_PACKAGES:
            for path in [out / name, *out.glob(f"{name}-*.dist-info")]:
                shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(
            self.source / "sdapi",
            out / "sdapi",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        return True


def lambda_code() -> lambda_.Code:
    """The code asset shared by every function (one zip, one upload)."""
    requirements = bundled_requirements()
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR),
        exclude=ASSET_EXCLUDE,
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{PYTHON_VERSION}:latest-arm64"),
            command=[
                "bash",
                "-c",
                f"pip install --no-compile -t /asset-output {' '.join(requirements)}"
                + "".join(
                    f" && rm -rf /asset-output/{name} /asset-output/{name}-*" for name in RUNTIME_PACKAGES
                )
                + " && cp -r sdapi /asset-output/",
            ],
            local=LocalPipBundling(requirements),
        ),
    )
