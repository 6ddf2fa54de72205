"""The container's output store writes plain keys outside the bucket's reserved folders, tagged for the
outputs retention rule."""

from __future__ import annotations

import pytest

from inference_container.storage import OutputStore


class RecordingS3:
    def __init__(self):
        self.keys: list[str] = []
        self.tagging: list[str] = []

    def put_object(self, **kwargs):
        self.keys.append(kwargs["Key"])
        self.tagging.append(kwargs.get("Tagging", ""))


def test_a_plain_output_key_is_written():
    s3 = RecordingS3()
    OutputStore(s3, "bucket").put_png("outputs/team/7/0.png", b"png")
    assert s3.keys == ["outputs/team/7/0.png"]


def test_a_tasks_own_folder_outside_outputs_is_written():
    s3 = RecordingS3()
    OutputStore(s3, "bucket").put_png("output/test-t2i.0123/0.png", b"png")
    assert s3.keys == ["output/test-t2i.0123/0.png"]


def test_outputs_are_tagged_for_the_retention_rule():
    s3 = RecordingS3()
    OutputStore(s3, "bucket").put_png("output/test-t2i.0123/0.png", b"png")
    assert s3.tagging == ["sdapi-retention=outputs"]


@pytest.mark.parametrize(
    "key",
    [
        "inputs/7.json",
        "uploads/alice/x.png",
        "models/default/unet.safetensors",
        "async-output/7.out",
        "outputs/../inputs/7.json",
        "outputs/./7/0.png",
        "outputs//7/0.png",
        "outputs/7/../0",
    ],
)
def test_keys_under_reserved_folders_or_with_dot_segments_are_refused(key):
    s3 = RecordingS3()
    with pytest.raises(ValueError):
        OutputStore(s3, "bucket").put_png(key, b"png")
    assert s3.keys == []


class DenyingS3:
    def put_object(self, **kwargs):
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {
                    "Code": "AccessDenied",
                    "Message": "User: arn:aws:sts::123456789012:assumed-role/sdapi-gpu/x is not "
                    "authorized to perform: s3:PutObject on resource: "
                    "arn:aws:s3:::sdapi-bucket-123456789012/outputs/7/0.png",
                }
            },
            "PutObject",
        )


def test_a_storage_failure_names_only_the_error_code_not_the_account_or_bucket():
    from inference_container.errors import JobError

    with pytest.raises(JobError) as raised:
        OutputStore(DenyingS3(), "sdapi-bucket-123456789012").put_png("outputs/7/0.png", b"png")

    assert "AccessDenied" in raised.value.message
    assert "123456789012" not in raised.value.message
    assert "arn:" not in raised.value.message
