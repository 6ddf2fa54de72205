"""The embedded stack: everything `make local` runs, as one object with start() / stop().

Order matters because the Lambda handlers read their environment when first invoked: moto first, then the
resources, the models, the SageMaker emulator and the inference server; then the process environment is set
exactly as infra sets it on the Lambdas (SDAPI_* plus AWS_ENDPOINT_URL* and fake credentials) and only then
are the handlers imported and wired to the pollers and the HTTP gateway. Nothing in the handlers knows it
is local.

Once started, `local.supervisor` restarts whatever stops (the inference server with backoff, the emulator's
and pollers' threads), as the platform would; the stack keeps serving.

A process can hold one started stack (the handlers' module state is per process); tests run it as a
subprocess (`python -m local`) for that reason.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference_container.config import ContainerConfig
from local.container_process import ContainerProcess
from local.http_gateway import FUNCTION_URL, HttpGateway, function_url_limits, rest_limits
from local.models import ModelSetup, model_dir_models, tiny_models
from local.moto_server import MotoServer
from local.pollers import SqsPoller, StreamPoller, Timer
from local.sagemaker_emulator import EndpointConfig, SageMakerEmulator
from local.settings import LocalEnvironment
from local.supervisor import Supervisor

log = logging.getLogger("local")

REGION = "us-east-1"
ENDPOINT_PREFIX = "sdapi"
API_TIMEOUT_S = 29.0
"""The api function's timeout (infra/stack.py): what Lambda's context tells the REST path's routes."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StackOptions:
    port: int = 3000
    model_dir: Path | None = None
    cache: Path = field(default_factory=lambda: LocalEnvironment().cache)
    api_key: str | None = None
    webhook_secret: str | None = None
    allow_loopback_urls: bool = False
    allow_http_urls: bool = False
    device: str = "auto"
    sweep_interval_s: float = 15.0
    ready_timeout_s: float = 600.0
    sync_wait_s: float | None = 120.0
    """No API Gateway 29 s cap locally; A1111 clients expect a synchronous answer."""
    api_workers: int = 4
    dtype: str = "auto"
    progress_interval_s: float = 0.5
    sync_url_port: int = 3001
    sync_url_workers: int = 2
    rest_timeout_s: float = 29.0
    """API Gateway's integration timeout on the REST path (504 past it)."""
    rest_max_body_bytes: int = 10 * 1024 * 1024
    """API Gateway's request body limit on the REST path (413 past it)."""
    sync_url_timeout_s: float = 900.0
    """The long-wait function's timeout: its synchronous routes wait up to this less 3 s."""
    invocation_delay_s: float = 0.0
    """The SageMaker emulator's stand-in for a start from zero, per invocation."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> StackOptions:
        local = LocalEnvironment.from_env(env)
        return cls(
            port=local.port,
            model_dir=local.local_model_dir,
            cache=local.cache,
            api_key=local.local_key,
            webhook_secret=local.local_webhook_secret,
            allow_loopback_urls=local.allow_loopback_urls,
            allow_http_urls=local.allow_http_urls,
            device=local.device,
            dtype=local.dtype,
            progress_interval_s=local.progress_interval_s,
            sync_url_port=local.sync_url_port,
            rest_timeout_s=local.local_rest_timeout_s,
            rest_max_body_bytes=local.local_rest_max_body_bytes,
            sync_url_timeout_s=local.local_sync_url_timeout_s,
            invocation_delay_s=local.local_invocation_delay_s,
        )


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.moto = MotoServer()
        self.emulator: SageMakerEmulator | None = None
        self.container: ContainerProcess | None = None
        self.gateway: HttpGateway | None = None
        self.sync_gateway: HttpGateway | None = None
        self.models: ModelSetup | None = None
        self.resources: Any = None
        self.api_key = ""
        self.webhook_secret = ""
        self.base_url = ""
        self.sync_url = ""
        """The long-wait URL (the function URL's stand-in): every route, synchronous ones waiting long."""
        self._loops: list[Any] = []
        self.supervisor: Supervisor | None = None
        self._stopped = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        opts = self.options
        moto_url = self.moto.start()
        self._set_aws_env(moto_url)

        if opts.model_dir:
            self.models = model_dir_models(opts.model_dir, opts.cache, ENDPOINT_PREFIX)
        else:
            self.models = tiny_models(opts.cache, ENDPOINT_PREFIX)
        catalog = self.models.catalog

        from local.resources import create_resources

        self.resources = create_resources(catalog=catalog, region=REGION)
        res = self.resources

        container_port = free_port()
        self.container = ContainerProcess(self._container_env(moto_url, container_port), container_port)
        self.container.start()

        self.emulator = SageMakerEmulator(
            [
                EndpointConfig(
                    name=pool.endpoint_name,
                    container_url=self.container.url,
                    bucket=res.bucket,
                    success_topic_arn=res.success_topic_arn,
                    error_topic_arn=res.error_topic_arn,
                    max_concurrency=pool.max_concurrency,
                    region=REGION,
                    server=self.container,
                    start_delay_s=opts.invocation_delay_s,
                )
                for pool in catalog.pools
            ],
            moto_url,
            REGION,
        )
        emulator_url = self.emulator.start()
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = emulator_url
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] = emulator_url

        settings_env = self._lambda_env(res)
        os.environ.update(settings_env)

        self._create_dev_key(res)
        self.container.wait_ready(opts.ready_timeout_s)

        # Only now: the handlers read their environment on their first event.
        importlib.import_module("sdapi.handlers.api")  # fail early here if it cannot import
        completion = importlib.import_module("sdapi.handlers.completion")
        events = importlib.import_module("sdapi.handlers.events")
        webhooks = importlib.import_module("sdapi.handlers.webhooks")
        sweeper = importlib.import_module("sdapi.handlers.sweeper")

        from sdapi.aws import clients

        session = clients.session(REGION)
        sqs = session.client("sqs", endpoint_url=moto_url)
        streams = session.client("dynamodbstreams", endpoint_url=moto_url)
        self._loops = [
            SqsPoller(
                sqs,
                res.completion_queue_url,
                completion.handler,
                function_name="sdapi-completion",
                region=REGION,
            ),
            StreamPoller(streams, res.jobs_stream_arn, events.handler, function_name="sdapi-events"),
            SqsPoller(
                sqs, res.webhook_queue_url, webhooks.handler, function_name="sdapi-webhooks", region=REGION
            ),
            Timer(
                sweeper.handler,
                function_name="sdapi-sweeper",
                interval_s=opts.sweep_interval_s,
                region=REGION,
            ),
        ]
        for loop in self._loops:
            loop.start()

        self.gateway = HttpGateway(
            "sdapi.handlers.api:handler",
            workers=opts.api_workers,
            timeout_s=API_TIMEOUT_S,
            limits=rest_limits(opts.rest_timeout_s, opts.rest_max_body_bytes),
        )
        self.sync_gateway = HttpGateway(
            "sdapi.handlers.sync_url:handler",
            workers=opts.sync_url_workers,
            timeout_s=opts.sync_url_timeout_s,
            function_name="sdapi-sync",
            events=FUNCTION_URL,
            limits=function_url_limits(opts.sync_url_timeout_s),
            env=self._sync_url_env(res),
        )
        self.gateway.warm()
        self.sync_gateway.warm()
        self.sync_url = self.sync_gateway.start(opts.sync_url_port)
        self.base_url = self.gateway.start(opts.port)  # last: its answering says the stack is ready
        self.supervisor = Supervisor([self.container, *self.emulator.children(), *self._loops])
        self.supervisor.start()
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.supervisor is not None:
            self.supervisor.stop()
        for gateway in (self.gateway, self.sync_gateway):
            if gateway is not None:
                gateway.stop()
        for loop in self._loops:
            loop.stop()
        if self.emulator is not None:
            self.emulator.stop()
        if self.container is not None:
            self.container.stop()
        self.moto.stop()

    # -- environment -----------------------------------------------------------------------------------------

    @staticmethod
    def _set_aws_env(moto_url: str) -> None:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": moto_url,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )

    def _lambda_env(self, res: Any) -> dict[str, str]:
        """SDAPI_* as infra sets them, with the local-only switches."""
        env = dict(res.settings.to_env()) if hasattr(res, "settings") else dict(res.env)
        from sdapi.config import Settings

        settings = Settings.from_env(env)
        updates: dict[str, Any] = {"catalog": self.models.catalog if self.models else settings.catalog}
        if self.options.allow_loopback_urls:  # loopback receivers speak plain http
            updates.update(allow_loopback_urls=True, allow_http_urls=True)
        elif self.options.allow_http_urls:
            updates["allow_http_urls"] = True
        if self.options.sync_wait_s is not None:
            updates["sync_wait_s"] = self.options.sync_wait_s
        env = settings.model_copy(update=updates).to_env()
        env.setdefault("POWERTOOLS_SERVICE_NAME", "sdapi")
        env.setdefault("POWERTOOLS_LOG_LEVEL", os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
        return env

    def _sync_url_env(self, res: Any) -> dict[str, str]:
        """What the long-wait function's environment adds to the api function's (as infra sets it): its
        synchronous wait bounded by its own timeout, and the per-key throttle's table."""
        from sdapi.config import Settings

        settings = Settings.from_env(dict(os.environ))
        long_wait = settings.model_copy(
            update={"sync_wait_s": self.options.sync_url_timeout_s, "rate_table": res.rate_table}
        )
        return long_wait.to_env()

    def _container_env(self, moto_url: str, port: int) -> dict[str, str]:
        assert self.models is not None
        res = self.resources
        catalog = self.models.catalog
        default_pool = catalog.pool(catalog.default_pool)
        config = ContainerConfig(
            jobs_table=res.jobs_table,
            bucket=res.bucket,
            model_root=self.models.model_root,
            default_model=default_pool.default_model if default_pool else None,
            device=self.options.device,
            dtype=self.options.dtype,
            compile=False,
            progress_interval_s=self.options.progress_interval_s,
            port=port,
            host="127.0.0.1",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SDAPI_")}
        env.update(config.to_env(exclude_unset=True))
        env.update(
            {
                "AWS_ENDPOINT_URL": moto_url,
                "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # One readable log stream: no tqdm bars or library chatter from the model server.
        for name, value in (
            ("TQDM_DISABLE", "1"),
            ("TRANSFORMERS_VERBOSITY", "error"),
            ("DIFFUSERS_VERBOSITY", "error"),
            ("PYTHONWARNINGS", "ignore::FutureWarning,ignore::UserWarning"),
        ):
            env.setdefault(name, value)
        return env

    def _create_dev_key(self, res: Any) -> None:
        from sdapi.auth import create_key
        from sdapi.aws.keys_table import KeysTable

        created = create_key(
            KeysTable(res.keys_table),
            owner="local",
            name="dev",
            key=self.options.api_key,
            webhook_secret=self.options.webhook_secret,
        )
        self.api_key = created.key
        self.webhook_secret = created.webhook_secret
