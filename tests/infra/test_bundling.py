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
