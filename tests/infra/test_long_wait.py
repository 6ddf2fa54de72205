"""The long-wait URL: a function URL beside the REST API on its own function (long timeout, reserved
concurrency), the key checked in the function, a per-key rate table, least privilege, and a stack output."""

from __future__ import annotations

import pytest

from sdapi.config import Settings
from tests.infra.helpers import as_list, function_role, of_type, one, role_statements, table_id, text
from tests.infra.synth import ENVIRONMENTS, synth

HANDLER = "sdapi.handlers.sync_url.handler"


def sync_function(resources: dict) -> tuple[str, dict]:
    return next(
        (k, v["Properties"])
        for k, v in of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == HANDLER
    )


def env(resources: dict) -> dict:
    return sync_function(resources)[1]["Environment"]["Variables"]


def test_the_url_fronts_the_long_wait_function(resources):
    url = one(resources, "AWS::Lambda::Url")
    function_id, _ = sync_function(resources)
    assert url["TargetFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_the_url_leaves_auth_to_the_functions_key_check(resources):
    assert one(resources, "AWS::Lambda::Url")["AuthType"] == "NONE"


def test_the_url_buffers_its_answers(resources):
    assert one(resources, "AWS::Lambda::Url")["InvokeMode"] == "BUFFERED"


def test_the_url_has_no_cors_by_default(resources):
    assert "Cors" not in one(resources, "AWS::Lambda::Url")


def test_the_long_wait_function_runs_for_fifteen_minutes(resources):
    assert sync_function(resources)[1]["Timeout"] == 900


def test_the_long_wait_function_is_throttled_by_reserved_concurrency(resources):
    assert sync_function(resources)[1]["ReservedConcurrentExecutions"] == 10


def test_its_synchronous_routes_may_wait_as_long_as_it_runs(resources):
    assert env(resources)[Settings.variable("sync_wait_s")] == "900"


def test_the_api_function_keeps_the_rest_wait(resources):
    api = next(
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::Function").values()
        if v["Properties"]["Handler"] == "sdapi.handlers.api.handler"
    )
    assert api["Environment"]["Variables"][Settings.variable("sync_wait_s")] == "25.0"


def test_each_key_gets_the_stage_rate(resources):
    assert env(resources)[Settings.variable("key_rate_per_s")] == "20.0"


def test_each_key_gets_the_stage_burst(resources):
    assert env(resources)[Settings.variable("key_burst")] == "40"


def test_the_function_counts_in_its_rate_table(resources):
    assert env(resources)[Settings.variable("rate_table")] == {"Ref": table_id(resources, "counter")}


def test_only_the_long_wait_function_throttles_per_key(resources):
    throttled = [
        v["Properties"]["Handler"]
        for v in of_type(resources, "AWS::Lambda::Function").values()
        if Settings.variable("rate_table") in v["Properties"]["Environment"]["Variables"]
    ]
    assert throttled == [HANDLER]


def test_the_rate_table_expires_its_counters(resources):
    table = resources[table_id(resources, "counter")]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_rate_table_is_on_demand(resources):
    assert resources[table_id(resources, "counter")]["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_the_rate_table_goes_with_the_stack(resources):
    assert resources[table_id(resources, "counter")]["DeletionPolicy"] == "Delete"


def test_the_function_may_only_update_counters_beyond_the_api_grants(resources):
    statements = role_statements(resources, function_role(resources, HANDLER))
    on_rate_table = [s for s in statements if text(s["Resource"]).count(table_id(resources, "counter"))]
    assert [as_list(s["Action"]) for s in on_rate_table] == [["dynamodb:UpdateItem"]]


def test_the_function_has_the_api_functions_actions(resources):
    def actions(handler: str) -> set[str]:
        statements = role_statements(resources, function_role(resources, handler))
        return {a for s in statements for a in as_list(s["Action"])}

    assert actions(HANDLER) == actions("sdapi.handlers.api.handler")


def test_anyone_may_call_the_url(resources):
    (permission,) = [
        p["Properties"]
        for p in of_type(resources, "AWS::Lambda::Permission").values()
        if p["Properties"].get("FunctionUrlAuthType") == "NONE"
    ]
    assert permission["Principal"] == "*"


def test_the_stack_outputs_the_url(template):
    output = template.to_json()["Outputs"]["SyncUrl"]
    assert output["Value"] == {
        "Fn::GetAtt": [
            next(iter(of_type(template.to_json()["Resources"], "AWS::Lambda::Url"))),
            "FunctionUrl",
        ]
    }


def test_an_agnostic_template_makes_the_url_where_the_partition_has_function_urls(resources, template):
    (url_id,) = of_type(resources, "AWS::Lambda::Url")
    condition = resources[url_id]["Condition"]
    expected = {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-us-gov"]}]}
    assert template.to_json()["Conditions"][condition] == expected


def test_the_output_has_the_urls_condition(resources, template):
    (url_id,) = of_type(resources, "AWS::Lambda::Url")
    assert template.to_json()["Outputs"]["SyncUrl"]["Condition"] == resources[url_id]["Condition"]


@pytest.fixture(scope="module")
def gov(tmp_path_factory, image_directory):
    from aws_cdk.assertions import Template

    account, region = ENVIRONMENTS["aws-us-gov"]
    _, stack, _ = synth(tmp_path_factory.mktemp("cdk.out-gov-url"), image_directory, account, region)
    return Template.from_stack(stack).to_json()


def test_aws_us_gov_has_no_function_url(gov):
    assert of_type(gov["Resources"], "AWS::Lambda::Url") == {}


def test_aws_us_gov_has_no_url_output(gov):
    assert "SyncUrl" not in gov["Outputs"]


def test_anyone_may_invoke_the_function_only_through_its_url(resources):
    function_id, _ = sync_function(resources)
    (permission,) = [
        p["Properties"]
        for p in of_type(resources, "AWS::Lambda::Permission").values()
        if p["Properties"]["Action"] == "lambda:InvokeFunction"
        and p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    assert permission["InvokedViaFunctionUrl"] is True
