"""A finished SD-on-EKS task publishes the queue agent's callback `{id, result, image_url, output_url,
context}` on the events topic (attribute `type` = `task.callback`), after writing the `.out` document its
`output_url` names; other dialects publish only their job events."""

from __future__ import annotations

import json
from decimal import Decimal

from sdapi.service.events import EventRouter

NOW = 1_800_000_000.0
PREFIX = "outputs/out/test-t2i.0123456789abcdef/"


def task_image(**changes):
    base = {
        "id": "test-t2i.0123456789abcdef",
        "task_id": "test-t2i",
        "owner": "alice",
        "key_id": "key_1",
        "dialect": "tasks",
        "pool": "sd15",
        "task": "txt2img",
        "model": "v1-5-pruned-emaonly",
        "state": "IN_PROGRESS",
        "attempt": Decimal(0),
        "created_at": Decimal(str(NOW)),
        "updated_at": Decimal(str(NOW)),
        "output_prefix": PREFIX,
        "request": {"prompt": "cat wizard", "steps": Decimal(16)},
        "context": {"user": "u-1"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def completed(**changes):
    return task_image(
        state="COMPLETED",
        outputs=[f"{PREFIX}0.png", f"{PREFIX}1.png"],
        info=json.dumps({"all_seeds": [7, 8]}),
        completed_at=Decimal(str(NOW + 5)),
        **changes,
    )


class Recorder:
    def __init__(self):
        self.published: list[tuple[dict, dict]] = []
        self.written: dict[str, object] = {}

    def publish(self, event, attributes):
        self.published.append((dict(event), dict(attributes)))

    def send(self, message, delay_s=0):
        pass

    def put_json(self, key, data, tagging=None):
        self.written[key] = data


def route(old, new) -> Recorder:
    sink = Recorder()
    EventRouter(sink, sink, "outputbucket", sink).handle(old, new)
    return sink


def callbacks(sink: Recorder) -> list[tuple[dict, dict]]:
    return [(m, a) for m, a in sink.published if a["type"] == "task.callback"]


def test_a_completed_task_publishes_the_queue_agents_callback():
    ((message, _),) = callbacks(route(task_image(), completed()))
    assert message == {
        "id": "test-t2i",
        "result": True,
        "image_url": [f"s3://outputbucket/{PREFIX}0.png", f"s3://outputbucket/{PREFIX}1.png"],
        "output_url": f"s3://outputbucket/{PREFIX}test-t2i.out",
        "context": {"user": "u-1"},
    }


def test_the_callback_carries_attributes_to_filter_on():
    ((_, attributes),) = callbacks(route(task_image(), completed()))
    assert attributes == {"type": "task.callback", "owner": "alice", "dialect": "tasks"}


def test_the_out_document_holds_the_parameters_with_the_task_id_and_seeds():
    sink = route(task_image(), completed())
    document = sink.written[f"{PREFIX}test-t2i.out"]
    assert document["parameters"]["id_task"] == "test-t2i"
    assert document["parameters"]["image_seed"] == "7,8"
    assert document["parameters"]["prompt"] == "cat wizard"


def test_a_failed_task_publishes_result_false_and_the_error_in_its_document():
    sink = route(task_image(), task_image(state="FAILED", error="CUDA out of memory"))
    ((message, _),) = callbacks(sink)
    assert message["result"] is False
    assert sink.written[f"{PREFIX}test-t2i.out"]["parameters"]["error_msg"] == "CUDA out of memory"


def test_a_task_without_context_sends_an_empty_object_as_the_agent_does():
    ((message, _),) = callbacks(route(task_image(context=None), completed(context=None)))
    assert message["context"] == {}


def test_a_running_task_publishes_no_callback():
    assert callbacks(route(task_image(state="QUEUED"), task_image())) == []


def test_other_dialects_publish_no_callback():
    sink = route(task_image(dialect="native"), completed(dialect="native"))
    assert callbacks(sink) == []
