"""The api function builds each dialect's routes on the first request that reaches the dialect, and under
SnapStart builds all of them before the snapshot: what a fresh process has imported after each step, and
that every documented operation still reaches its route."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.api_support import api_for, settings_for

ROOT = Path(__file__).resolve().parents[2]
ROUTE_MODULES = {
    "native": "sdapi.api.routes_native",
    "runpod": "sdapi.api.routes_runpod",
    "a1111": "sdapi.api.routes_a1111",
    "v3": "sdapi.api.routes_v3",
    "tasks": "sdapi.api.routes_tasks",
}
DIALECT_PACKAGES = {name: f"sdapi.dialects.{name}" for name in ROUTE_MODULES}


def fresh_process(settings, script: str, tmp_path: Path) -> dict:
    """Run `script` in a new interpreter with the api's settings in its environment; the JSON it prints.
    The script gets `call(method, path)` (the real handler, no key), and `routes()` and `dialects()`: the
    routes modules and dialect packages imported so far."""
    prelude = textwrap.dedent(
        """
        import json, sys, types

        def call(method, path, body=None):
            import sdapi.handlers.api as api
            event = {"httpMethod": method, "path": path, "headers": {"Host": "api.example.com"},
                     "body": body, "isBase64Encoded": False, "requestContext": {"stage": "prod"}}
            context = types.SimpleNamespace(function_name="api", memory_limit_in_mb=1024, aws_request_id="1",
                invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:api",
                get_remaining_time_in_millis=lambda: 29000)
            return api.handler(event, context)

        def loaded(prefix):
            return sorted(m for m in sys.modules if m.startswith(prefix))

        def routes():
            return loaded("sdapi.api.routes_")

        def dialects():
            return [m for m in loaded("sdapi.dialects.") if m.count(".") == 2 and m not in COMMON]

        COMMON = {"sdapi.dialects.common", "sdapi.dialects.registry"}
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(settings.to_env())
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT / "lambdas"), str(ROOT)])
    out = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_handler_builds_no_dialect(settings, tmp_path):
    seen = fresh_process(
        settings,
        """
        import sdapi.handlers.api
        print(json.dumps({"loaded": loaded("sdapi.dialects.") + loaded("sdapi.api.")}))
        """,
        tmp_path,
    )

    assert seen["loaded"] == []


@pytest.mark.parametrize(
    ("dialect", "method", "path", "uses"),
    [
        ("a1111", "GET", "/sdapi/v1/options", ["a1111"]),
        ("runpod", "GET", "/v2/sdxl/health", ["a1111", "runpod"]),  # RunPod's worker payloads are A1111's
        ("v3", "POST", "/api/v3/fetch/1", ["v3"]),
    ],
)
def test_a_first_request_builds_only_its_dialects_routes(settings, tmp_path, dialect, method, path, uses):
    # Given a fresh process, when one request reaches one dialect,
    seen = fresh_process(
        settings,
        f"""
        status = call({method!r}, {path!r})["statusCode"]
        print(json.dumps({{"status": status, "routes": routes(), "dialects": dialects()}}))
        """,
        tmp_path,
    )

    # then it is answered (401: no key), and only that dialect's routes and the packages it uses were built.
    assert seen["status"] == 401
    assert seen["routes"] == [ROUTE_MODULES[dialect]]
    assert seen["dialects"] == [DIALECT_PACKAGES[name] for name in uses]


def test_the_snapshot_hook_builds_every_route_before_the_snapshot(settings, tmp_path):
    # Given the runtime's hook library (a stand-in that keeps the hooks),
    (tmp_path / "snapshot_restore_py.py").write_text(
        "before, after = [], []\n"
        "register_before_snapshot = before.append\n"
        "register_after_restore = after.append\n"
    )

    # when the handler is imported and the runtime runs the before-snapshot hooks,
    seen = fresh_process(
        settings,
        """
        import sdapi.handlers.api
        import snapshot_restore_py as hooks
        before = routes()
        for hook in reversed(hooks.before):  # the runtime runs them in reverse order of registration
            hook()
        print(json.dumps({"hooks": len(hooks.before), "before": before, "after": routes(),
                          "restored": len(hooks.after)}))
        """,
        tmp_path,
    )

    # then nothing was built at import, and the hook built every dialect's routes.
    assert seen["hooks"] == 1
    assert seen["before"] == []
    assert seen["after"] == sorted(ROUTE_MODULES.values())
    assert seen["restored"] == 1  # the clients' after-restore hook is still registered


def test_every_documented_operation_reaches_its_route(aws):
    # Given the OpenAPI document of a fresh function,
    api = api_for(settings_for(aws))
    _, spec, _ = api.call("GET", "/openapi.json", key=None)

    # when every documented operation is called without a key,
    answers = {}
    for path, item in spec["paths"].items():
        concrete = path.replace("{endpoint}", "sdxl").replace("{job_id}", "job-1")
        for method in item:
            answers[(method, path)] = api.call(method.upper(), concrete, body={}, key=None)[0]

    # then each reached its route, which asked for a key (no "no route" 404).
    assert {op: status for op, status in answers.items() if status != 401} == {}
