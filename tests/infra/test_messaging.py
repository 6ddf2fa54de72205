"""SageMaker notifications → completion; jobs-table stream → events; webhook queue; the minute sweeper."""

from __future__ import annotations

import json

from tests.infra.helpers import of_type, queue_with_dlq, table_id, text

HANDLERS = "sdapi.handlers.{}.handler"


def function_id(resources, name):
    return next(
        k
        for k, v in of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == HANDLERS.format(name)
    )


def mapping_of(resources, name):
    fn = function_id(resources, name)
    (mapping,) = [
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if v["Properties"]["FunctionName"] == {"Ref": fn}
    ]
    return mapping


def test_sagemaker_topics_feed_the_completion_queue_in_sns_envelopes(resources):
    mapping = mapping_of(resources, "completion")
    queue = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    config = next(iter(of_type(resources, "AWS::SageMaker::EndpointConfig").values()))["Properties"]
    notification = config["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
    subscribed = {
        s["Properties"]["TopicArn"]["Ref"]
        for s in of_type(resources, "AWS::SNS::Subscription").values()
        if s["Properties"]["Endpoint"] == {"Fn::GetAtt": [queue, "Arn"]}
        and s["Properties"]["Protocol"] == "sqs"
        and not s["Properties"].get("RawMessageDelivery")
    }
    assert subscribed == {notification["SuccessTopic"]["Ref"], notification["ErrorTopic"]["Ref"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue_with_dlq(resources, queue) in of_type(resources, "AWS::SQS::Queue")


def test_stream_feeds_the_events_lambda_with_job_items_only(resources):
    mapping = mapping_of(resources, "events")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id(resources, "id"), "StreamArn"]}
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"NewImage": {"state": {"S": [{"exists": True}]}}}}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert "OnFailure" in mapping["DestinationConfig"]


def test_event_filter_matches_jobs_and_drops_counters_and_idempotency_items():
    from infra.notifications import EVENT_FILTER

    def matches(keys_id: str, new_image: dict) -> bool:
        """Lambda's `exists` on NewImage.state.S: the attribute is present with type S."""
        ((name, typed),) = EVENT_FILTER["dynamodb"]["NewImage"].items()
        ((kind, rule),) = typed.items()
        assert rule == [{"exists": True}]
        return kind in new_image.get(name, {})

    assert matches("123456", {"state": {"S": "QUEUED"}})
    assert not matches("_counters#default", {"queued": {"N": "1"}})
    assert not matches("idem#owner#abc", {"job_id": {"S": "1"}})


def test_webhook_queue_has_a_dlq_and_feeds_the_webhook_lambda(resources):
    mapping = mapping_of(resources, "webhooks")
    queue = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    assert resources[queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert queue_with_dlq(resources, queue) in of_type(resources, "AWS::SQS::Queue")
    env = resources[function_id(resources, "events")]["Properties"]["Environment"]["Variables"]
    assert env["SDAPI_WEBHOOK_QUEUE_URL"] == {"Ref": queue}
    timeout = resources[function_id(resources, "webhooks")]["Properties"]["Timeout"]
    assert resources[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_sweeper_runs_every_minute(resources):
    (rule,) = [r["Properties"] for r in of_type(resources, "AWS::Events::Rule").values()]
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id(resources, "sweeper"), "Arn"]}


def test_queues_are_encrypted_and_tls_only(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    assert all(q["Properties"].get("SqsManagedSseEnabled") for q in queues.values())
    tls_only = set()
    for policy in of_type(resources, "AWS::SQS::QueuePolicy").values():
        if '"aws:SecureTransport": "false"' in text(policy):
            tls_only.update(q["Ref"] for q in policy["Properties"]["Queues"])
    assert tls_only == set(queues)


def test_topics_are_encrypted(resources):
    assert all("KmsMasterKeyId" in t["Properties"] for t in of_type(resources, "AWS::SNS::Topic").values())
