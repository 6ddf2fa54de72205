"""Side effects through moto: the QUEUED → IN_PROGRESS transaction with the counters, progress writes, PNGs
with their `parameters` chunk, cancellation before and during a run, A1111's interrupt and skip during a
run."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from inference_container.errors import JobError
from inference_container.storage import JobTracking, OutputStore
from inference_container.worker import Worker
from sdapi.schema import items, job_writes
from sdapi.schema.job import Task
from tests.container.conftest import BUCKET, TABLE, get_item, make_job, png_b64, put_job_item

pytestmark = pytest.mark.container


@pytest.fixture
def worker(aws, catalog, models):
    s3, dynamodb = aws
    return Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(dynamodb, TABLE, interval_s=0)
    )


def test_a_job_is_marked_in_progress_and_its_pngs_written(aws, worker):
    s3, dynamodb = aws
    unit = {"model": "control_v11p_sd15_canny", "module": "canny", "image": png_b64()}
    job = make_job("2001", batch_size=2, steps=3, controlnet=(unit,))
    put_job_item(dynamodb, job)

    manifest = worker.run(job)

    assert manifest.status == "completed"
    assert manifest.images == ["outputs/2001/0.png", "outputs/2001/1.png", "outputs/2001/2.png"]
    assert manifest.n_generated == 2
    item = get_item(dynamodb, "2001")
    assert item[items.STATE]["S"] == "IN_PROGRESS"
    started = float(item[items.STARTED_AT]["N"])
    assert float(item[items.DEADLINE_AT]["N"]) == pytest.approx(started + job.timeouts.execution_s)
    assert item[items.PROGRESS_STEP]["N"] == "3"
    assert item[items.PROGRESS_TOTAL]["N"] == "3"
    counters = get_item(dynamodb, items.counters_id("sd15"))
    assert counters["queued"]["N"] == "0"
    assert counters["in_progress"]["N"] == "1"
    first = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="outputs/2001/0.png")["Body"].read()))
    assert first.size == (64, 64)
    assert first.text["parameters"] == json.loads(manifest.info)["infotexts"][0]
    detected = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="outputs/2001/2.png")["Body"].read()))
    assert "parameters" not in detected.text
    assert manifest.started_at == pytest.approx(started)
    assert manifest.timings.inference_s > 0


@pytest.mark.parametrize("state", ["CANCELLED", "TIMED_OUT", "COMPLETED"])
def test_a_job_that_is_no_longer_queued_is_not_run(aws, worker, state):
    s3, dynamodb = aws
    job = make_job("2002")
    put_job_item(dynamodb, job, state=state)

    manifest = worker.run(job)

    assert manifest.status == "cancelled"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="outputs/2002/")
    assert get_item(dynamodb, items.counters_id("sd15"))["queued"]["N"] == "1", "counters untouched"


def test_a_stale_attempt_is_not_run(aws, worker):
    _, dynamodb = aws
    job = make_job("2003")
    put_job_item(dynamodb, job.model_copy(update={"attempt": 1}))

    assert worker.run(job).status == "cancelled"


class CancelAfter:
    """A DynamoDB client that cancels the job (as the api Lambda would) before its Nth progress write."""

    def __init__(self, client, job_id: str, after: int):
        self._client, self._job_id, self._after, self.progress_writes = client, job_id, after, 0
        self.exceptions = client.exceptions

    def transact_write_items(self, **kwargs):
        return self._client.transact_write_items(**kwargs)

    def update_item(self, **kwargs):
        self.progress_writes += 1
        if self.progress_writes == self._after:
            self._client.update_item(
                TableName=TABLE,
                Key={"id": {"S": self._job_id}},
                UpdateExpression="SET #s = :c",
                ExpressionAttributeNames={"#s": items.STATE},
                ExpressionAttributeValues={":c": {"S": "CANCELLED"}},
            )
        return self._client.update_item(**kwargs)


def test_cancelling_mid_run_stops_the_denoising_loop(aws, catalog, models):
    s3, dynamodb = aws
    job = make_job("2004", steps=20)
    put_job_item(dynamodb, job)
    client = CancelAfter(dynamodb, job.id, after=3)
    worker = Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(client, TABLE, interval_s=0)
    )

    manifest = worker.run(job)

    assert manifest.status == "cancelled"
    assert client.progress_writes == 3, "the loop stopped at the first refused progress write"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="outputs/2004/")
    assert get_item(dynamodb, "2004")[items.STATE]["S"] == "CANCELLED"


class SignalAt:
    """A DynamoDB client that records A1111's interrupt (or a skip) on the job, with the door's own request,
    before its Nth progress write; `progress_writes` counts the writes the table accepted (one a step)."""

    def __init__(self, client, job_id: str, at: int, *, skip: bool):
        self._client, self._job_id, self._at, self._skip = client, job_id, at, skip
        self._sent = self.progress_writes = 0
        self.exceptions = client.exceptions

    def transact_write_items(self, **kwargs):
        return self._client.transact_write_items(**kwargs)

    def update_item(self, **kwargs):
        self._sent += 1
        if self._sent == self._at:
            self._client.update_item(**job_writes.signal_update(TABLE, self._job_id, skip=self._skip))
        answer = self._client.update_item(**kwargs)
        self.progress_writes += 1
        return answer


def run_signalled(aws, catalog, models, job_id: str, *, skip: bool, **fields):
    """A 2 x 4-step job (with `fields`) whose owner interrupts (or skips) at the 2nd step of its first
    iteration."""
    s3, dynamodb = aws
    job = make_job(job_id, steps=4, n_iter=2, **fields)
    put_job_item(dynamodb, job)
    client = SignalAt(dynamodb, job.id, at=2, skip=skip)
    worker = Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(client, TABLE, interval_s=0)
    )
    return worker.run(job), client


def test_an_interrupt_keeps_the_current_image_and_runs_no_further_iteration(aws, catalog, models):
    manifest, _ = run_signalled(aws, catalog, models, "2006", skip=False)

    assert manifest.status == "completed"
    assert manifest.images == ["outputs/2006/0.png"]


def test_an_interrupted_jobs_info_lists_the_image_made_and_every_planned_seed(aws, catalog, models):
    manifest, _ = run_signalled(aws, catalog, models, "2014", skip=False)

    info = json.loads(manifest.info)
    assert (len(info["infotexts"]), len(info["all_seeds"])) == (1, 2)


def test_an_interrupt_ends_the_denoising_at_the_write_that_reads_it(aws, catalog, models):
    _, client = run_signalled(aws, catalog, models, "2007", skip=False)

    assert client.progress_writes == 2


def test_the_interrupted_image_is_stored_with_its_infotext(aws, catalog, models):
    s3, _ = aws
    manifest, _ = run_signalled(aws, catalog, models, "2008", skip=False)

    stored = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="outputs/2008/0.png")["Body"].read()))
    assert stored.text["parameters"] == json.loads(manifest.info)["infotexts"][0]


def test_an_interrupt_in_hires_fixs_first_pass_skips_the_second_pass(aws, catalog, models):
    s3, _ = aws
    hires = {"denoising_strength": 0.5, "scale": 2}
    run_signalled(aws, catalog, models, "2013", skip=False, hires=hires)

    stored = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="outputs/2013/0.png")["Body"].read()))
    assert stored.size == (64, 64), "A1111's sample_hr_pass returns the first pass's samples"


def test_a_skip_in_hires_fixs_first_pass_keeps_the_upscale_without_its_second_pass(aws, catalog, models):
    s3, _ = aws
    hires = {"denoising_strength": 0.5, "scale": 2}
    run_signalled(aws, catalog, models, "2015", skip=True, hires=hires)

    stored = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="outputs/2015/0.png")["Body"].read()))
    assert stored.size == (128, 128), "A1111's skipped second pass returns its input, the upscaled latents"


def test_a_skip_ends_the_current_iteration_and_runs_the_next(aws, catalog, models):
    manifest, _ = run_signalled(aws, catalog, models, "2009", skip=True)

    assert manifest.images == ["outputs/2009/0.png", "outputs/2009/1.png"]


def test_a_skip_runs_every_step_of_the_next_iteration(aws, catalog, models):
    _, client = run_signalled(aws, catalog, models, "2010", skip=True)

    assert client.progress_writes == 2 + 4


def test_a_skipped_image_differs_from_the_same_image_denoised_to_the_end(aws, catalog, models):
    s3, dynamodb = aws
    run_signalled(aws, catalog, models, "2011", skip=True)
    full = make_job("2012", steps=4, n_iter=2)
    put_job_item(dynamodb, full)
    Worker(catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(dynamodb, TABLE)).run(full)

    def pixels(key: str) -> bytes:
        return Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())).tobytes()

    assert pixels("outputs/2011/0.png") != pixels("outputs/2012/0.png")
    assert pixels("outputs/2011/1.png") == pixels("outputs/2012/1.png")


EXTRAS_SIZES = ((40, 24), (48, 32), (56, 40))
"""An extras batch's input sizes: each image is told apart by its size after the 2x upscale."""


def run_extras_signalled(aws, catalog, models, job_id: str, *, skip: bool, at: int):
    """An extras batch of three images whose owner interrupts (or skips) before the progress write that
    follows image `at` (1-based); returns the manifest and the sizes of the stored images."""
    s3, dynamodb = aws
    inputs = tuple(png_b64(w, h, seed=i) for i, (w, h) in enumerate(EXTRAS_SIZES))
    upscale = {"scale": 2, "upscaler": "Lanczos"}
    job = make_job(job_id, task=Task.EXTRAS, init_images=inputs, extras={"upscale": upscale})
    put_job_item(dynamodb, job)
    client = SignalAt(dynamodb, job.id, at=at, skip=skip)
    worker = Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(client, TABLE, interval_s=0)
    )
    manifest = worker.run(job)
    stored = [s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in manifest.images]
    return manifest, [Image.open(io.BytesIO(data)).size for data in stored]


def test_an_interrupt_during_an_extras_batch_keeps_the_image_being_made_and_runs_no_further_one(
    aws, catalog, models
):
    _, sizes = run_extras_signalled(aws, catalog, models, "2020", skip=False, at=2)
    assert sizes == [(80, 48), (96, 64)]


def test_an_interrupted_extras_batch_completes(aws, catalog, models):
    manifest, _ = run_extras_signalled(aws, catalog, models, "2021", skip=False, at=1)
    assert manifest.status == "completed"


def test_a_skip_during_an_extras_batch_drops_the_image_being_made_and_runs_the_next(aws, catalog, models):
    _, sizes = run_extras_signalled(aws, catalog, models, "2022", skip=True, at=1)
    assert sizes == [(96, 64), (112, 80)]


def test_an_extras_batchs_progress_counts_its_images(aws, catalog, models):
    _, dynamodb = aws
    run_extras_signalled(aws, catalog, models, "2023", skip=True, at=99)
    item = get_item(dynamodb, "2023")
    assert (item[items.PROGRESS_STEP]["N"], item[items.PROGRESS_TOTAL]["N"]) == ("3", "3")


def test_cancelling_an_extras_batch_stops_it(aws, catalog, models):
    s3, dynamodb = aws
    upscale = {"scale": 2, "upscaler": "Lanczos"}
    job = make_job("2024", task=Task.EXTRAS, init_images=(png_b64(), png_b64()), extras={"upscale": upscale})
    put_job_item(dynamodb, job)
    client = CancelAfter(dynamodb, job.id, after=1)
    worker = Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(client, TABLE, interval_s=0)
    )
    assert worker.run(job).status == "cancelled"


def test_progress_writes_are_throttled(aws, catalog, models):
    s3, dynamodb = aws
    job = make_job("2005", steps=6)
    put_job_item(dynamodb, job)
    client = CancelAfter(dynamodb, job.id, after=10**6)
    worker = Worker(
        catalog, models, store=OutputStore(s3, BUCKET), tracking=JobTracking(client, TABLE, interval_s=3600)
    )

    assert worker.run(job).status == "completed"
    assert client.progress_writes == 0


def test_a_worker_without_an_output_store_refuses_before_claiming_the_job(aws, catalog, models):
    _, dynamodb = aws
    job = make_job("2006")
    put_job_item(dynamodb, job)
    worker = Worker(catalog, models, tracking=JobTracking(dynamodb, TABLE))

    with pytest.raises(JobError, match="no output store"):
        worker.run(job)
    assert get_item(dynamodb, "2006")[items.STATE]["S"] == "QUEUED"


class StepClock:
    """The trackers' clock: every reading is `step_s` later than the one before."""

    def __init__(self, step_s: float):
        self.step_s, self.now = step_s, 0.0

    def __call__(self) -> float:
        self.now += self.step_s
        return self.now


class RecordPreviews:
    """A DynamoDB client that records, for each progress write, the clock's time and the preview it
    carries (None without one)."""

    def __init__(self, client, clock: StepClock):
        self._client, self._clock, self.writes = client, clock, []
        self.exceptions = client.exceptions

    def transact_write_items(self, **kwargs):
        return self._client.transact_write_items(**kwargs)

    def update_item(self, **kwargs):
        preview = kwargs["ExpressionAttributeValues"].get(":preview")
        self.writes.append((self._clock.now, preview["S"] if preview else None))
        return self._client.update_item(**kwargs)


def run_recording_previews(aws, catalog, models, job_id: str, steps: int, step_s: float) -> RecordPreviews:
    """A job run whose every step writes progress (interval 0), the clock `step_s` on per write."""
    s3, dynamodb = aws
    job = make_job(job_id, steps=steps)
    put_job_item(dynamodb, job)
    clock = StepClock(step_s)
    client = RecordPreviews(dynamodb, clock)
    tracking = JobTracking(client, TABLE, interval_s=0, clock=clock)
    worker = Worker(catalog, models, store=OutputStore(s3, BUCKET), tracking=tracking)
    assert worker.run(job).status == "completed"
    return client


def test_previews_are_written_at_most_once_a_second(aws, catalog, models):
    # given a job writing progress every step, a step every 0.25 s on the trackers' clock
    client = run_recording_previews(aws, catalog, models, "2007", steps=12, step_s=0.25)

    # then every step wrote progress, and a preview rode on one write a second: at 0.5, 1.5 and 2.5 s
    assert len(client.writes) == 12
    assert [at for at, preview in client.writes if preview is not None] == [0.5, 1.5, 2.5]


def test_the_stored_preview_is_a_png_at_latent_resolution(aws, catalog, models):
    client = run_recording_previews(aws, catalog, models, "2008", steps=3, step_s=1.0)

    previews = [preview for _, preview in client.writes if preview is not None]

    assert len(previews) == 3
    assert Image.open(io.BytesIO(base64.b64decode(previews[-1]))).size == (8, 8)  # 64 x 64 / 8
