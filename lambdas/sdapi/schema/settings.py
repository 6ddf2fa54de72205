"""The base of the three environment models: the Lambdas' `sdapi.config.Settings`, the container's
`inference_container.config.ContainerConfig` and the local stack's `local.settings.LocalEnvironment`.

pydantic-settings reads each field from its variable (`env_prefix` + the field name, or the field's
`validation_alias` where the name is fixed by someone else, such as `SAGEMAKER_BIND_TO_PORT`), decodes the
JSON of nested models and parses numbers and flags. `to_env()` writes the same variables back, so `infra/`
and `local/` build a model and take its environment instead of typing variable names again.

Built with keyword arguments, a model reads nothing from the process environment (a deploy machine's own
`SDAPI_*` variables must never leak into a synthesized template); `from_env()` is the one reader.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


class EnvModel(BaseSettings):
    """An environment model: `from_env()` reads it, `to_env()` writes it, `variables()` names it."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The model as these variables (default: the process environment) describe it."""
        return cls(**_MappingSource(cls, os.environ if env is None else env)())

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of field `name`."""
        return _variable(cls.model_config.get("env_prefix", ""), name, cls.model_fields[name])

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Every field's environment variable, by field name."""
        return {name: cls.variable(name) for name in cls.model_fields}

    def to_env(self, *, exclude_unset: bool = False) -> dict[str, str]:
        """The variables that reproduce this model through `from_env()`; None values are left out, and with
        `exclude_unset` so is every field that was not given explicitly (its default applies)."""
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None or (exclude_unset and name not in self.model_fields_set):
                continue
            env[self.variable(name)] = _text(value)
        return env


def _variable(prefix: str, name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        alias = alias.choices[0]
    if isinstance(alias, str):
        return alias
    return f"{prefix}{name}".upper()


def _text(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
