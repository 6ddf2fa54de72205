"""`BlobStore` on S3: job inputs, outputs, uploads; presigned GET/PUT URLs."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sdapi.aws.clients import client
from sdapi.errors import NotFound, UpstreamUnavailable


class Bucket:
    """The deployment's bucket (name from `Settings.bucket`)."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    @property
    def _s3(self):
        return client("s3")

    def put_json(self, key: str, data: Any, tagging: str | None = None) -> None:
        """Write `data` as a JSON object (server-side encrypted by the bucket's default), with S3 `tagging`
        (`k=v&…`) when given."""
        body = data if isinstance(data, bytes | str) else json.dumps(data, separators=(",", ":"))
        extra = {"Tagging": tagging} if tagging else {}
        try:
            self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **extra
            )
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable(f"storage write failed: {error}") from error

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; NotFound when it does not exist (or has expired)."""
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(f"object {key} does not exist") from error
            raise UpstreamUnavailable(f"storage read failed: {error}") from error
        except BotoCoreError as error:
            raise UpstreamUnavailable(f"storage read failed: {error}") from error

    def presign_get(self, key: str, expiry_s: int) -> str:
        """A presigned GET URL (computed locally: no AWS call)."""
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expiry_s
        )

    def presign_put(self, key: str, expiry_s: int, content_type: str) -> str:
        """A presigned PUT URL; the uploader must send the same `Content-Type` header."""
        return self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expiry_s,
        )

    def s3_uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def key_from_uri(self, uri: str) -> str | None:
        """The key of an `s3://` URI in this bucket, or None for another bucket."""
        prefix = f"s3://{self.bucket}/"
        return uri[len(prefix) :] if uri.startswith(prefix) else None
