"""Configuration from cdk.json context: defaults, `-c` string overrides, and clear errors at synth."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError, DeployConfig
from tests.infra.synth import ROOT


def load(**context) -> DeployConfig:
    return DeployConfig.from_context(context)


def test_defaults_are_one_scale_to_zero_pool_on_g5_xlarge():
    config = load()
    assert config.instance_type == "ml.g5.xlarge"
    assert config.min_instances == 0
    assert [p.name for p in config.pools] == ["default"]
    assert config.catalog().pool("default").endpoint_name == "sdapi-default"


def test_cdk_json_context_is_valid_and_every_key_is_documented():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    DeployConfig.from_context(context)
    documented = (ROOT / "docs" / "configuration.md").read_text()
    for key in DeployConfig.model_fields:
        assert f"`{key}`" in documented, f"{key} missing from docs/configuration.md"


def test_command_line_strings_are_decoded():
    config = load(
        max_instances="4",
        min_instances="1",
        api_keys_required="true",
        alarm_email="ops@example.com",
        models='[{"name": "v15", "family": "sd15", "path": "v15"}]',
        default_model="v15",
    )
    assert config.max_instances == 4
    assert config.min_instances == 1
    assert config.api_keys_required is True
    assert config.catalog().find("v15").family == "sd15"


@pytest.mark.parametrize(
    ("context", "names"),
    [
        ({"min_instances": 3, "max_instances": 2}, "min_instances (3) exceeds max_instances (2)"),
        ({"instance_type": "g5.xlarge"}, "'instance_type'"),
        ({"default_model": "missing"}, "default_model 'missing' is not one of the models"),
        ({"max_instanses": 2}, "unknown context key(s) ['max_instanses']"),
        ({"log_retention_days": 10}, "'log_retention_days'"),
        ({"domain_name": "api.example.com"}, "domain_name and certificate_arn must be set together"),
        ({"pools": [{"name": "Bad_Name"}]}, "'pools.0.name'"),
        ({"default_pool": "gpu"}, "default_pool 'gpu'"),
        (
            {"models": [{"name": "cn", "family": "controlnet", "path": "cn"}], "default_model": "cn"},
            "default_model 'cn' must be an sd15 or sdxl checkpoint",
        ),
        (
            {"models": [{"name": "m", "family": "sdxl", "path": "../escape"}], "default_model": "m"},
            "'models.0.path'",
        ),
        ({"scale_in_idle_minutes": 0}, "'scale_in_idle_minutes'"),
    ],
)
def test_bad_values_name_the_key_and_reason(context, names):
    with pytest.raises(ConfigError) as error:
        load(**context)
    assert names in str(error.value)


def test_pools_can_split_models_and_override_instances():
    config = load(
        models=[
            {"name": "xl", "family": "sdxl", "path": "xl"},
            {"name": "v15", "family": "sd15", "path": "v15"},
            {"name": "canny15", "family": "controlnet", "base": "sd15", "path": "canny15"},
        ],
        default_model="xl",
        pools=[
            {"name": "xl", "models": ["xl"]},
            {
                "name": "sd15",
                "models": ["v15", "canny15"],
                "instance_type": "ml.g4dn.xlarge",
                "max_instances": 3,
            },
        ],
        default_pool="xl",
    )
    catalog = config.catalog()
    assert catalog.pool("sd15").default_model == "v15"
    assert catalog.pool_for_model("canny15").name == "sd15"
    sd15 = config.pools[1]
    assert config.pool_instance_type(sd15) == "ml.g4dn.xlarge"
    assert config.pool_max(sd15) == 3
    assert [e["name"] for e in config.container_catalog(sd15)] == ["v15", "canny15"]
    assert config.container_catalog(sd15)[1] == {
        "name": "canny15",
        "family": "controlnet",
        "base": "sd15",
        "path": "canny15",
        "aliases": [],
    }


def test_an_oversized_catalog_stops_the_synth():
    import aws_cdk as cdk

    from infra.stack import SdapiStack
    from tests.infra.synth import NO_BUNDLING

    models = [{"name": f"model-{i:03d}-" + "x" * 40, "family": "sd15", "path": f"m{i}"} for i in range(60)]
    config = load(models=models, default_model=models[0]["name"])
    with pytest.raises(ConfigError, match="Lambda environment"):
        SdapiStack(cdk.App(context=NO_BUNDLING), "Big", config=config)
