"""The pool's compile cache files in S3 (moto): uploaded under the pool's prefix, fetched back, and a missing
file is a miss, never a failed start."""

from __future__ import annotations

import pytest

from inference_container.storage import S3Files
from tests.container.conftest import BUCKET

pytestmark = pytest.mark.container

PREFIX = "compile-cache/sd15/"


def test_an_uploaded_file_lands_under_the_pools_prefix(aws):
    s3, _ = aws

    S3Files(s3, BUCKET, PREFIX).upload("abc.bin", b"graphs")

    assert s3.get_object(Bucket=BUCKET, Key="compile-cache/sd15/abc.bin")["Body"].read() == b"graphs"


def test_an_uploaded_file_is_fetched_back(aws):
    s3, _ = aws
    files = S3Files(s3, BUCKET, PREFIX)
    files.upload("abc.bin", b"graphs")

    assert files.fetch("abc.bin") == b"graphs"


def test_a_missing_file_is_a_miss(aws):
    s3, _ = aws

    assert S3Files(s3, BUCKET, PREFIX).fetch("never-saved.bin") is None
