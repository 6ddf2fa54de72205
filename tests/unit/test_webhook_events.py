"""Which job changes are events, and which events become webhook messages."""

from __future__ import annotations

from decimal import Decimal

from sdapi.service.events import EventRouter, change_event, record_from_image
from sdapi.webhooks.message import WebhookMessage

NOW = 1_800_000_000.0


def image(**changes):
    base = {
        "id": "4242",
        "owner": "alice",
        "key_id": "key_1",
        "dialect": "runpod",
        "pool": "default",
        "task": "txt2img",
        "model": "sd15",
        "state": "QUEUED",
        "attempt": Decimal(0),
        "created_at": Decimal(str(NOW)),
        "updated_at": Decimal(str(NOW)),
        "output_prefix": "outputs/4242/",
        "summary": {"width": Decimal(512), "cfg_scale": Decimal("7.5")},
        "webhook_url": "https://hooks.example.com/sd",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


class Recorder:
    def __init__(self):
        self.published: list[tuple[dict, dict]] = []
        self.sent: list[dict] = []

    def publish(self, event, attributes):
        self.published.append((dict(event), dict(attributes)))

    def send(self, message, delay_s=0):
        self.sent.append(dict(message))

    def dead_letter(self, message):  # pragma: no cover - not used by the router
        raise AssertionError


def route(old, new):
    sink = Recorder()
    EventRouter(sink, sink, "bucket-1").handle(old, new)
    return sink


def test_state_changes_map_to_event_names():
    queued, running = record_from_image(image()), record_from_image(image(state="IN_PROGRESS"))
    assert change_event(None, queued) == "queued"
    assert change_event(queued, running) == "started"
    for state, name in [
        ("COMPLETED", "completed"),
        ("FAILED", "failed"),
        ("CANCELLED", "cancelled"),
        ("TIMED_OUT", "timed_out"),
    ]:
        assert change_event(running, record_from_image(image(state=state))) == name


def test_progress_while_in_progress_is_an_event_but_a_webhook_status_write_is_not():
    running = record_from_image(image(state="IN_PROGRESS", progress_step=3, progress_total=20))
    stepped = record_from_image(image(state="IN_PROGRESS", progress_step=4, progress_total=20))
    assert change_event(running, stepped) == "progress"
    done = record_from_image(image(state="COMPLETED"))
    delivered = record_from_image(image(state="COMPLETED", webhook_status="delivered"))
    assert change_event(done, delivered) is None


def test_a_retried_job_back_in_the_queue_is_queued_again():
    failed = record_from_image(image(state="FAILED"))
    requeued = record_from_image(image(state="QUEUED", attempt=Decimal(1)))
    assert change_event(failed, requeued) == "queued"


def test_given_a_completion_then_the_event_is_published_with_type_and_owner_attributes():
    sink = route(image(state="IN_PROGRESS"), image(state="COMPLETED", outputs=["outputs/4242/0.png"]))
    [(event, attributes)] = sink.published
    assert attributes == {"type": "job.completed", "owner": "alice", "dialect": "runpod"}
    assert event["type"] == "job.completed"
    assert event["id"] == "4242"
    assert event["state"] == "COMPLETED"
    assert event["data"]["outputs"] == ["outputs/4242/0.png"]
    assert event["data"]["output_uris"] == ["s3://bucket-1/outputs/4242/0.png"]
    assert event["data"]["parameters"] == {"width": 512, "cfg_scale": 7.5}


def test_given_no_event_list_then_the_webhook_hears_terminal_events_only():
    assert route(None, image()).sent == []
    assert route(image(), image(state="IN_PROGRESS")).sent == []
    [message] = route(image(state="IN_PROGRESS"), image(state="COMPLETED")).sent
    parsed = WebhookMessage.model_validate(message)
    assert parsed.webhook_id == "4242.completed.0"
    assert parsed.event == "completed"
    assert parsed.delivery == 1
    assert parsed.record is None


def test_given_subscribed_events_then_only_those_are_queued():
    subscribed = {"webhook_events": ["started", "progress"]}
    assert len(route(image(**subscribed), image(state="IN_PROGRESS", **subscribed)).sent) == 1
    old = image(state="IN_PROGRESS", progress_step=1, **subscribed)
    [progress] = route(old, image(state="IN_PROGRESS", progress_step=2, **subscribed)).sent
    assert progress["webhook_id"] == "4242.progress.0.2"
    assert progress["record"]["progress_step"] == 2, "non-terminal bodies show that moment"
    assert route(old, image(state="COMPLETED", **subscribed)).sent == []


def test_a_progress_webhooks_snapshot_leaves_the_live_preview_out():
    subscribed = {"webhook_events": ["progress"]}
    old = image(state="IN_PROGRESS", progress_step=1, **subscribed)
    new = image(state="IN_PROGRESS", progress_step=2, preview="iVBORw0KGgo=", **subscribed)

    [progress] = route(old, new).sent

    assert "preview" not in progress["record"]


def test_a_job_without_webhook_is_published_but_queues_nothing():
    sink = route(image(state="IN_PROGRESS", webhook_url=None), image(state="FAILED", webhook_url=None))
    assert len(sink.published) == 1
    assert sink.sent == []


def test_counter_items_idempotency_markers_and_removals_are_skipped():
    counters = {"id": "_counters#default", "pool": "default", "queued": Decimal(3)}
    assert route(None, counters).published == []
    assert route(None, {"id": "idem#alice#abc", "job_id": "4242", "owner": "alice"}).published == []
    assert route(image(state="COMPLETED"), None).published == []


def test_an_unreadable_job_item_is_skipped_rather_than_blocking_the_stream():
    broken = image(state="COMPLETED", task="paint-by-numbers")
    assert route(image(state="IN_PROGRESS"), broken).published == []
