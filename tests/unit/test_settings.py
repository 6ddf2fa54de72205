"""The environment models (pydantic-settings): names, round trips, and nothing read unless asked."""

from __future__ import annotations

from pathlib import Path

from inference_container.config import ContainerConfig
from local.settings import LocalEnvironment
from sdapi.config import Settings


def test_settings_built_from_arguments_ignore_the_process_environment(monkeypatch, catalog):
    monkeypatch.setenv("SDAPI_SYNC_WAIT_S", "1.5")

    settings = Settings(jobs_table="j", keys_table="k", bucket="b", catalog=catalog)

    assert settings.sync_wait_s == 25.0


def test_settings_from_env_read_the_process_environment(monkeypatch, settings):
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SDAPI_SYNC_WAIT_S", "1.5")

    settings = Settings.from_env()

    assert settings.sync_wait_s == 1.5


def test_every_settings_field_has_its_sdapi_variable():
    variables = Settings.variables()

    assert variables["jobs_table"] == "SDAPI_JOBS_TABLE"
    assert variables["allow_loopback_urls"] == "SDAPI_ALLOW_LOOPBACK_URLS"


def test_container_config_round_trips_through_its_environment():
    config = ContainerConfig(
        jobs_table="jobs", bucket="data", model_root=Path("/models"), compile=True, port=9090, host="::1"
    )

    env = config.to_env()

    assert ContainerConfig.from_env(env) == config
    assert env["SAGEMAKER_BIND_TO_PORT"] == "9090"
    assert env["SDAPI_BIND_HOST"] == "::1"


def test_container_config_writes_only_what_was_given_when_asked():
    config = ContainerConfig(jobs_table="jobs", model_root=Path("/opt/ml/model"))

    env = config.to_env(exclude_unset=True)

    assert env == {"SDAPI_JOBS_TABLE": "jobs", "SDAPI_MODEL_ROOT": "/opt/ml/model"}


def test_container_region_falls_back_to_the_default_region_and_empty_means_unset():
    env = {"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1", "SDAPI_BUCKET": ""}

    config = ContainerConfig.from_env(env)

    assert config.region == "eu-west-1"
    assert config.bucket is None


def test_local_environment_round_trips_what_a_test_harness_sets():
    local = LocalEnvironment(port=3100, local_key="sd_dev", allow_loopback_urls=True)

    env = local.to_env(exclude_unset=True)

    assert env == {"SDAPI_PORT": "3100", "SDAPI_LOCAL_KEY": "sd_dev", "SDAPI_ALLOW_LOOPBACK_URLS": "1"}
    assert LocalEnvironment.from_env(env) == local


def test_local_environment_defaults():
    local = LocalEnvironment.from_env({})

    assert local.port == 3000
    assert local.cache == Path.home() / ".cache" / "sdapi"
    assert local.progress_interval_s == 0.5
