"""PNG encoding and upload off the critical path: every image stored, in order, with its pixels and
infotext; failures fail the job; the job answers only once every image is stored; nothing lost at shutdown.
(How much time it takes off the critical path is measured by bench/png_bench.py, not asserted here.)"""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image

from inference_container.errors import JobError
from inference_container.storage import OutputStore, OutputWriter
from inference_container.worker import Worker
from tests.container.conftest import make_job

pytestmark = pytest.mark.container


class GatedS3:
    """put_object that blocks until `release` is set; `entered` is set once a put has started."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Bucket, Key, Body, ContentType, Tagging=None):
        self.entered.set()
        assert self.release.wait(30), "the test never released the upload"
        self.objects[Key] = Body


class SlowS3:
    """put_object that takes `delay_s` (later keys finish first when `reverse`), failing for `fail_keys`."""

    def __init__(self, delay_s: float = 0.0, fail_keys: tuple[str, ...] = (), reverse: bool = False):
        self.delay_s = delay_s
        self.fail_keys = fail_keys
        self.reverse = reverse
        self.objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put_object(self, *, Bucket, Key, Body, ContentType, Tagging=None):
        index = int(Key.rsplit("/", 1)[1].split(".")[0])
        time.sleep(self.delay_s * ((10 - index) if self.reverse else 1))
        if Key in self.fail_keys:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "SlowDown", "Message": "x"}}, "PutObject")
        with self._lock:
            self.objects[Key] = Body


def image(value: int) -> Image.Image:
    return Image.new("RGB", (16, 16), (value, 0, 0))


def red(data: bytes) -> int:
    return Image.open(io.BytesIO(data)).getpixel((0, 0))[0]


def test_every_image_is_stored_and_the_keys_come_back_in_hand_over_order():
    s3 = SlowS3(delay_s=0.01, reverse=True)
    writer = OutputWriter(OutputStore(s3, "bucket"), threads=4)
    outputs = writer.job()
    for index in range(6):
        outputs.add(f"outputs/j/{index}.png", image(index * 10), f"image {index}")

    keys = outputs.wait()

    assert keys == [f"outputs/j/{index}.png" for index in range(6)]
    assert [red(s3.objects[key]) for key in keys] == [0, 10, 20, 30, 40, 50]


def test_the_infotext_travels_in_the_png():
    s3 = SlowS3()
    outputs = OutputWriter(OutputStore(s3, "bucket")).job()
    outputs.add("outputs/j/0.png", image(1), "a lighthouse\nSteps: 2")

    outputs.wait()

    stored = Image.open(io.BytesIO(s3.objects["outputs/j/0.png"]))
    assert stored.text["parameters"] == "a lighthouse\nSteps: 2"


def test_a_failed_upload_fails_the_job_after_the_other_writes_have_ended():
    s3 = SlowS3(delay_s=0.02, fail_keys=("outputs/j/1.png",))
    outputs = OutputWriter(OutputStore(s3, "bucket"), threads=2).job()
    for index in range(4):
        outputs.add(f"outputs/j/{index}.png", image(index), None)

    with pytest.raises(JobError, match="SlowDown"):
        outputs.wait()

    assert sorted(s3.objects) == ["outputs/j/0.png", "outputs/j/2.png", "outputs/j/3.png"]


def test_closing_the_writer_finishes_every_queued_write():
    s3 = SlowS3(delay_s=0.02)
    writer = OutputWriter(OutputStore(s3, "bucket"), threads=1)
    outputs = writer.job()
    for index in range(5):
        outputs.add(f"outputs/j/{index}.png", image(index), None)

    writer.close()

    assert len(s3.objects) == 5


def test_a_job_stores_each_batch_and_its_maps_in_output_key_order(catalog, models):
    s3 = SlowS3(delay_s=0.01, reverse=True)
    worker = Worker(catalog, models, store=OutputStore(s3, "bucket"))
    job = make_job(batch_size=2, n_iter=2)

    manifest = worker.run(job)

    assert manifest.images == [job.output_key(index) for index in range(4)]
    assert sorted(s3.objects) == sorted(manifest.images)


def test_a_job_whose_upload_fails_fails(catalog, models):
    job = make_job(batch_size=1, n_iter=2)
    s3 = SlowS3(fail_keys=(job.output_key(0),))
    worker = Worker(catalog, models, store=OutputStore(s3, "bucket"))

    with pytest.raises(JobError, match="storing an output image failed"):
        worker.run(job)


def test_an_image_that_cannot_be_encoded_fails_the_job():
    s3 = SlowS3()
    outputs = OutputWriter(OutputStore(s3, "bucket")).job()
    outputs.add("outputs/j/0.png", image(1), None)
    outputs.add("outputs/j/1.png", "not an image", None)

    with pytest.raises(JobError, match="encoding or storing an output image failed"):
        outputs.wait()


def test_a_job_answers_only_once_every_image_is_stored(catalog, models):
    s3 = GatedS3()
    worker = Worker(catalog, models, store=OutputStore(s3, "bucket"))
    job = make_job(batch_size=2)
    answers = []
    run = threading.Thread(target=lambda: answers.append(worker.run(job)))
    run.start()
    assert s3.entered.wait(120), "no upload started"

    run.join(timeout=1.0)  # the upload is held: the job must still be waiting on it
    held = run.is_alive()
    s3.release.set()
    run.join(timeout=60)

    assert held
    assert answers[0].images == [job.output_key(index) for index in range(2)]
    assert sorted(s3.objects) == sorted(answers[0].images)
