"""`make local` / `python -m local`: the whole product on 127.0.0.1, no AWS account.

Runs in the foreground with one log stream; Ctrl-C (or SIGTERM) stops every part in order.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.settings import LocalEnvironment
from local.stack import LocalStack, StackOptions

log = logging.getLogger("local")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = StackOptions.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the Stable Diffusion API on this machine: moto for AWS, a SageMaker async emulator, "
        "the real inference server and the unchanged Lambda handlers.",
    )
    parser.add_argument("--port", type=int, default=defaults.port, help="API port (SDAPI_PORT, default 3000)")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=defaults.model_dir,
        help="serve real diffusers models from this folder (SDAPI_LOCAL_MODEL_DIR); default: tiny models",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=defaults.cache,
        help="cache folder (SDAPI_LOCAL_CACHE, default ~/.cache/sdapi)",
    )
    parser.add_argument("--device", default=defaults.device, help="auto | cpu | cuda (SDAPI_DEVICE)")
    parser.add_argument(
        "--allow-loopback-urls",
        action="store_true",
        default=defaults.allow_loopback_urls,
        help="let image and webhook URLs point at 127.0.0.1 over plain http (SDAPI_ALLOW_LOOPBACK_URLS=1)",
    )
    parser.add_argument("--sweep-interval", type=float, default=defaults.sweep_interval_s, help="seconds")
    parser.add_argument(
        "--sync-wait", type=float, default=120.0, help="seconds runsync/A1111 wait (default 120)"
    )
    parser.add_argument(
        "--api-workers", type=int, default=4, help="api handler processes (concurrent requests), default 4"
    )
    parser.add_argument("--log-level", default=LocalEnvironment.from_env().local_log_level)
    return parser.parse_args(argv)


def banner(stack: LocalStack) -> str:
    url = stack.base_url
    key = stack.api_key
    return "\n".join(
        [
            "",
            "  Stable Diffusion API — local stack",
            f"  base URL        {url}   (API Gateway REST's limits: 29 s, 10 MB)",
            f"  long-wait URL   {stack.sync_url}   (the function URL: synchronous A1111 / RunPod calls)",
            f"  Swagger UI      {url}/docs   (OpenAPI: {url}/openapi.json)",
            f"  dev API key     {key}",
            f"  webhook secret  {stack.webhook_secret}",
            f"  models          {stack.models.model_root if stack.models else '?'}",
            "",
            "  try:",
            f"    curl -s {url}/v1/jobs -H 'x-api-key: {key}' -H 'content-type: application/json' \\",
            '         -d \'{"prompt": "an astronaut riding a horse", "width": 512, "height": 512}\'',
            f"    sdapi generate 'an astronaut riding a horse' --url {url} --key {key} --out outputs/",
            "",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(name)-17s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stdout,
    )
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = StackOptions.from_env()
    options.port = args.port
    options.model_dir = args.model_dir
    options.cache = args.cache
    options.device = args.device
    options.allow_loopback_urls = args.allow_loopback_urls
    options.sweep_interval_s = args.sweep_interval
    options.sync_wait_s = args.sync_wait
    options.api_workers = args.api_workers

    stop = threading.Event()
    started = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if not started.is_set():
            raise KeyboardInterrupt
        if stop.is_set():
            log.warning("second signal: exiting now")
            os._exit(130)
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    stack = LocalStack(options)
    try:
        stack.start()
    except BaseException as exc:
        log.error("the local stack did not start: %s", exc, exc_info=not isinstance(exc, KeyboardInterrupt))
        stack.stop()
        return 1
    started.set()
    print(banner(stack), flush=True)
    log.info("ready at %s (long-wait URL %s)", stack.base_url, stack.sync_url)
    try:
        while not stop.wait(0.5):  # the supervisor restarts the inference server, the emulator, the pollers
            pass
    finally:
        stack.stop()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
