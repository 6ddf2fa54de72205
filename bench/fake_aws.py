"""The environment the benches run the product under: fake credentials and a region that reach no AWS
account, no profile or config files, no endpoint overrides left from the caller's shell, Powertools' tracer
off and its log quiet. A bench that talks to moto sets its endpoint after this."""

from __future__ import annotations

import os
from collections.abc import Mapping

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def fake_aws_env(base: Mapping[str, str], log_level: str = "WARNING") -> dict[str, str]:
    """`base` (an environment) without `AWS_ENDPOINT_URL*`, with `FAKE_AWS` and Powertools' log level."""
    env = {name: value for name, value in base.items() if not name.startswith("AWS_ENDPOINT_URL")}
    env.update(FAKE_AWS, POWERTOOLS_LOG_LEVEL=log_level)
    return env


def use_fake_aws(log_level: str = "WARNING") -> None:
    """Put this process's environment under `fake_aws_env`."""
    env = fake_aws_env(os.environ, log_level)
    for name in set(os.environ) - set(env):
        del os.environ[name]
    os.environ.update(env)
