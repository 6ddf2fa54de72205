"""Lambda code without Docker: what is bundled, and the copy of the sdapi package."""

from __future__ import annotations

from infra.bundling import LocalPipBundling, bundled_requirements


def test_bundles_the_lambda_extra_minus_the_runtime():
    requirements = bundled_requirements()
    names = {r.split("==")[0].split("[")[0] for r in requirements}
    assert {"standardwebhooks", "pydantic", "pydantic-settings", "lark", "aws-lambda-powertools"} <= names
    assert "boto3" not in names
    assert all("==" in r for r in requirements)  # pinned


def test_local_bundling_copies_the_package_without_caches(tmp_path):
    assert LocalPipBundling([]).try_bundle(str(tmp_path), image=None) is True
    assert (tmp_path / "sdapi" / "config.py").is_file()
    assert (tmp_path / "sdapi" / "schema" / "items.py").is_file()
    assert (tmp_path / "sdapi" / "schema" / "prompt" / "schedules.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))


def test_the_bundle_is_for_the_functions_architecture():
    from infra.bundling import PLATFORM
    from infra.functions import lambda_

    assert PLATFORM.endswith("aarch64")
    assert lambda_.Architecture.ARM_64.name == "arm64"


def test_local_bundling_drops_the_runtime_s_own_packages(tmp_path):
    """Given a dependency that pulls botocore in (aws-xray-sdk does), when the bundle is made, then the
    runtime's boto3/botocore/s3transfer are not shipped (they would shadow the runtime's copies)."""
    for name in ("botocore", "boto3", "s3transfer"):
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}-1.0.dist-info").mkdir()
    assert LocalPipBundling([]).try_bundle(str(tmp_path), image=None) is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sdapi"]
