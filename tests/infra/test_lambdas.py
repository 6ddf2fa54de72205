"""The six functions: handlers, runtime, tracing, JSON logs, the Powertools layer, and an environment that
`sdapi.config.Settings.from_env` reads as the deployment's settings."""

from __future__ import annotations

import json

from sdapi.config import Settings
from sdapi.schema.catalog import Catalog
from tests.infra.helpers import of_type

HANDLERS = {
    f"sdapi.handlers.{name}.handler"
    for name in ("api", "completion", "events", "webhooks", "sweeper", "sync_url")
}
SETTINGS_VARS = set(Settings.variables().values())


def functions(resources):
    return [f["Properties"] for f in of_type(resources, "AWS::Lambda::Function").values()]


def test_one_function_per_handler(resources):
    assert sorted(f["Handler"] for f in functions(resources)) == sorted(HANDLERS)


def test_runtime_tracing_and_logs(resources):
    roles = set()
    for fn in functions(resources):
        assert fn["Runtime"] == "python3.12"
        assert fn["Architectures"] == ["arm64"]
        assert fn["TracingConfig"] == {"Mode": "Active"}
        assert fn["LoggingConfig"]["LogFormat"] == "JSON"
        group = resources[fn["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
        assert group["RetentionInDays"] == 30
        roles.add(fn["Role"]["Fn::GetAtt"][0])
    assert len(roles) == len(HANDLERS)  # one role each


def test_environment_is_exactly_what_settings_reads(resources):
    for fn in functions(resources):
        env = fn["Environment"]["Variables"]
        sdapi_vars = {k for k in env if k.startswith("SDAPI_")}
        assert sdapi_vars <= SETTINGS_VARS, sdapi_vars - SETTINGS_VARS
        required = {Settings.variable(n) for n, f in Settings.model_fields.items() if f.is_required()}
        assert required <= sdapi_vars
        assert env["POWERTOOLS_SERVICE_NAME"] == "sdapi"


def test_a_lambda_environment_parses_into_settings(resources):
    env = functions(resources)[0]["Environment"]["Variables"]
    resolved = {k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in env.items()}
    settings = Settings.from_env(resolved)
    assert settings.jobs_table == "resolved-sdapi_jobs_table"
    assert settings.presign_expiry_s == 3600
    assert settings.output_retention_days == 30
    assert settings.allow_loopback_urls is False
    assert settings.allow_http_urls is False
    catalog = Catalog.model_validate(json.loads(env["SDAPI_CATALOG"]))
    assert catalog.default_pool == "default"
    assert catalog.pool("default").endpoint_name == "sdapi-default"
    assert catalog.find("sd_xl_base_1.0").family == "sdxl"


def test_code_asset_is_the_lambdas_folder(stack):
    from infra.bundling import ASSET_EXCLUDE, LAMBDAS_DIR

    assert (LAMBDAS_DIR / "sdapi" / "config.py").is_file()
    assert "**/__pycache__" in ASSET_EXCLUDE


def test_no_function_loads_a_layer(resources):
    """Powertools is bundled with the code, so there is no per-region layer ARN to get wrong."""
    assert [fn for fn in functions(resources) if "Layers" in fn] == []


def test_no_parameter_is_looked_up_for_powertools(template):
    parameters = template.to_json().get("Parameters", {})
    assert [p for p in parameters.values() if "powertools" in json.dumps(p).lower()] == []
