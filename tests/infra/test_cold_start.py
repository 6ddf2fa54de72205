"""Cold start: SnapStart on the api function's published version, the REST integration on its alias, and
boto3 clients made again after a restore."""

from __future__ import annotations

from tests.infra.helpers import of_type, text


def api_function_id(resources: dict) -> str:
    return next(
        k
        for k, v in of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == "sdapi.handlers.api.handler"
    )


def test_the_api_function_snapshots_its_published_versions_where_snapstart_exists(resources, template):
    api = resources[api_function_id(resources)]["Properties"]
    condition, on, off = api["SnapStart"]["Fn::If"]
    assert on == {"ApplyOn": "PublishedVersions"}
    assert off == {"Ref": "AWS::NoValue"}
    assert template.to_json()["Conditions"][condition] == {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws"]}


def test_only_the_api_function_uses_snapstart(resources):
    with_snapstart = [
        k for k, v in of_type(resources, "AWS::Lambda::Function").items() if "SnapStart" in v["Properties"]
    ]
    assert with_snapstart == [api_function_id(resources)]


def test_the_live_alias_points_at_a_published_version_of_the_api_function(resources):
    (alias,) = of_type(resources, "AWS::Lambda::Alias").values()
    ((version_id, version),) = of_type(resources, "AWS::Lambda::Version").items()
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert version["Properties"]["FunctionName"] == {"Ref": api_function_id(resources)}


def test_api_gateway_may_invoke_the_alias(resources):
    (alias_id,) = of_type(resources, "AWS::Lambda::Alias")
    permissions = [p["Properties"] for p in of_type(resources, "AWS::Lambda::Permission").values()]
    assert any(
        p["Principal"] == "apigateway.amazonaws.com" and alias_id in text(p["FunctionName"])
        for p in permissions
    )


def test_clients_are_dropped_after_a_restore(monkeypatch):
    """Given the runtime's hook library, when the handler registers its hook and a restore runs it, then
    the cached boto3 clients are gone (made again on first use)."""
    import sys
    import types

    from sdapi.aws import clients

    hooks = []
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_after_restore = hooks.append
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    before = clients.client("sqs")
    assert clients.recreate_after_snapshot_restore() is True
    (hook,) = hooks
    hook()
    assert clients.client("sqs") is not before


def test_outside_lambda_no_hook_is_registered(monkeypatch):
    import sys

    from sdapi.aws import clients

    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as off Lambda
    assert clients.recreate_after_snapshot_restore() is False
