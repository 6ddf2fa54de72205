"""The dispatcher around one delivery, with in-memory stand-ins for the store, queue and sender."""

from __future__ import annotations

import random

from sdapi.records import JobRecord
from sdapi.webhooks.dispatcher import Dispatcher, KeySecrets
from sdapi.webhooks.message import WebhookMessage
from sdapi.webhooks.policy import Attempt, Verdict

NOW = 1_800_000_000.0
SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def record(**changes) -> JobRecord:
    values = {
        "id": "77",
        "owner": "alice",
        "key_id": "key_1",
        "dialect": "native",
        "pool": "sdxl",
        "task": "txt2img",
        "model": "m",
        "state": "COMPLETED",
        "created_at": NOW - 10,
        "output_prefix": "outputs/77/",
        "webhook_url": "https://hooks.example.com/x",
    }
    values.update(changes)
    return JobRecord.model_validate(values)


class Store:
    def __init__(self, job: JobRecord | None):
        self.job = job
        self.updates: list[dict] = []

    def get(self, job_id):
        return self.job

    def update(self, job_id, updates):
        self.updates.append(dict(updates))


class Queue:
    def __init__(self):
        self.sent: list[tuple[dict, int]] = []
        self.dead: list[dict] = []

    def send(self, message, delay_s=0):
        self.sent.append((dict(message), delay_s))

    def dead_letter(self, message):
        self.dead.append(dict(message))


def dispatcher(store, queue, answers: list[Attempt], secret: str | None = SECRET):
    posts: list[tuple[str, bytes, dict]] = []

    def send(url, body, headers):
        posts.append((url, body, dict(headers)))
        return answers.pop(0)

    secrets = KeySecrets(lambda key_id: {"webhook_secret": secret} if secret else None)
    d = Dispatcher(
        store=store,
        queue=queue,
        secrets=secrets,
        render=lambda rec, msg: {"type": f"job.{msg.event}", "id": rec.id},
        send=send,
        max_attempts=3,
        window_s=3600,
        clock=lambda: NOW,
        rng=random.Random(3),
    )
    return d, posts


def message(**changes) -> WebhookMessage:
    values = {"webhook_id": "77.completed.0", "job_id": "77", "event": "completed", "occurred_at": NOW}
    values.update(changes)
    return WebhookMessage(**values)


def test_a_retry_carries_the_attempt_count_first_try_time_and_error():
    queue = Queue()
    d, posts = dispatcher(Store(record()), queue, [Attempt(status=503)])
    assert d.handle(message()).verdict is Verdict.RETRY
    [(retry, delay)] = queue.sent
    assert (retry["delivery"], retry["first_try_at"], retry["last_error"]) == (2, NOW, "HTTP 503")
    assert 5 <= delay <= 10
    assert posts[0][2]["webhook-id"] == "77.completed.0"


def test_an_already_delivered_webhook_is_not_sent_again():
    store = Store(record(webhook_status="delivered", webhook_id="77.completed.0"))
    d, posts = dispatcher(store, Queue(), [])
    assert d.handle(message()) is None
    assert posts == []


def test_a_job_that_no_longer_exists_has_nothing_to_deliver():
    d, posts = dispatcher(Store(None), Queue(), [])
    assert d.handle(message()) is None
    assert posts == []


def test_a_deleted_api_key_fails_the_webhook_without_posting():
    store, queue = Store(record()), Queue()
    d, posts = dispatcher(store, queue, [], secret=None)
    assert d.handle(message()).verdict is Verdict.FAIL
    assert posts == []
    assert len(queue.dead) == 1
    assert store.updates[-1]["webhook_status"] == "failed"
    assert "API key" in store.updates[-1]["webhook_error"]


def test_a_progress_snapshot_is_delivered_without_reading_the_job_or_recording_status():
    store = Store(None)
    snapshot = record(state="IN_PROGRESS", progress_step=4).model_dump(mode="json")
    d, posts = dispatcher(store, Queue(), [Attempt(status=204)])
    decision = d.handle(message(webhook_id="77.progress.0.4", event="progress", record=snapshot))
    assert decision.verdict is Verdict.DELIVERED
    assert len(posts) == 1
    assert store.updates == []


def test_secrets_are_looked_up_once_per_key():
    calls = []
    secrets = KeySecrets(lambda key_id: calls.append(key_id) or {"webhook_secret": SECRET})
    assert secrets.secret_for("key_1") == secrets.secret_for("key_1") == SECRET
    assert calls == ["key_1"]
    assert secrets.secret_for(None) is None
