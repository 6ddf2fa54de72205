"""boto3 clients and resources, created lazily once per process (cold start) and shared.

Every session made here reads botocore's data (the service models, endpoints and partitions: JSON that
takes about 0.1 s a service to parse) through one loader per process, so a client made again after a
SnapStart restore, or by a second session, parses nothing again.

Endpoints are never passed from code: boto3 honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, which
is how the local stack and tests point the same code at moto and the SageMaker emulator.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader, create_loader

from sdapi.aws import snapstart

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
    tcp_keepalive=True,
)
_clients: dict[str, Any] = {}
_lock = threading.Lock()
_loader: Loader | None = None
_loader_lock = threading.Lock()


def session(region_name: str | None = None, **credentials: Any) -> boto3.session.Session:
    """A new boto3 session (its own credentials and configuration) reading botocore's data through the
    process's one loader."""
    global _loader
    with _loader_lock:
        core = botocore.session.Session()
        if _loader is None:
            _loader = create_loader(core.get_config_variable("data_path"))
        core.register_component("data_loader", _loader)
        made = boto3.session.Session(botocore_session=core, region_name=region_name, **credentials)
        # boto3 appends its own data folder to the loader's search paths on every session: keep one
        paths = _loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return made


def client(service: str) -> Any:
    """The process-wide boto3 client for `service` (e.g. "dynamodb", "s3", "sagemaker-runtime")."""
    found = _clients.get(service)
    if found is None:
        with _lock:
            found = _clients.get(service)
            if found is None:
                config = _CONFIG
                if service == "s3":
                    config = _CONFIG.merge(Config(signature_version="s3v4", s3={"addressing_style": "auto"}))
                found = session().client(service, config=config)
                _clients[service] = found
    return found


def reset() -> None:
    """Forget the cached clients (tests switch between moto contexts and environments)."""
    with _lock:
        _clients.clear()


def recreate_after_snapshot_restore() -> bool:
    """Under Lambda SnapStart, forget every client made before the snapshot once the environment is
    restored (their connections and credentials belong to the snapshotted environment); they are made again
    on first use. Off Lambda this does nothing and returns False (`sdapi.aws.snapstart`)."""
    return snapstart.after_restore(reset)
