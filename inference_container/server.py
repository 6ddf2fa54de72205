"""The SageMaker serving contract: `GET /ping`, `POST /invocations` on SAGEMAKER_BIND_TO_PORT (8080).

The socket opens at once (so /ping answers 503 while models load); the default model is loaded and warmed in
the background and /ping turns 200 only after that. If that start-up fails (an empty model root, a catalog
without the default model, a model that does not load), the process logs one line saying why and exits
with status 1 at once, so SageMaker fails the instance in seconds instead of waiting out the health-check
timeout. Jobs run one at a time (MaxConcurrentInvocationsPerInstance=1). A broken job answers a 4xx/5xx
`InvocationError` JSON and the server keeps serving. SIGTERM/SIGINT stop accepting, let the running job
finish, and exit.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from inference_container.config import ContainerConfig
from inference_container.errors import JobError
from sdapi.schema.catalog import Family
from sdapi.schema.job import Job
from sdapi.schema.manifest import InvocationError

log = logging.getLogger("inference_container")


class Service:
    """What the HTTP layer drives: readiness, and one job at a time through the worker."""

    def __init__(self, config: ContainerConfig, *, s3: Any = None, dynamodb: Any = None):
        self.config = config
        self._s3, self._dynamodb = s3, dynamodb
        self.worker = None
        self.ready = threading.Event()
        self.failed: str | None = None
        self.started = time.monotonic()
        self._job_lock = threading.Lock()
        self.on_failure: Any = None
        """Called (no arguments) after a failed start-up; the server uses it to stop and exit 1."""

    def start(self) -> None:
        """Load the catalog and the default model, warm it, then mark ready (called in a background
        thread). A failure is logged as one line and reported to `on_failure`."""
        try:
            self._load()
        except Exception as exc:
            self.failed = f"{type(exc).__name__}: {exc}"
            log.error("start-up failed, exiting: %s", self.failed)
            if self.on_failure is not None:
                self.on_failure()

    def _load(self) -> None:
        from inference_container import warmup
        from inference_container.catalog import ModelCatalog
        from inference_container.pipelines import ModelCache
        from inference_container.storage import JobTracking, OutputStore, OutputWriter, clients
        from inference_container.worker import Worker

        config = self.config
        catalog = ModelCatalog.load(config.model_root)
        device, dtype = config.torch_device(), config.torch_dtype()
        _backend_flags(config, device)
        compiler = _compiler(config)
        models = ModelCache(
            catalog,
            device,
            dtype,
            compiler=compiler,
            max_loaded=config.max_loaded_models,
            vae_bfloat16=config.vae_bfloat16,
        )
        s3, dynamodb = self._s3, self._dynamodb
        if (s3 is None and config.bucket) or (dynamodb is None and config.jobs_table):
            s3_client, dynamodb_client = clients(config.region)
            s3 = s3 or s3_client
            dynamodb = dynamodb or dynamodb_client
        store = OutputStore(s3, config.bucket) if config.bucket and s3 is not None else None
        if store is None:
            log.warning("SDAPI_BUCKET is not set: jobs will fail until it names the outputs bucket")
        tracking = None
        if dynamodb is not None and config.jobs_table:
            tracking = JobTracking(dynamodb, config.jobs_table, config.progress_interval_s)
        writer = OutputWriter(store) if store is not None else None
        worker = Worker(catalog, models, store=store, tracking=tracking, writer=writer)
        default = catalog.default_checkpoint(config.default_model)
        models.checkpoint(default)
        refiner = None
        if config.preload_refiner and default.family == Family.SDXL:
            refiner = next(iter(catalog.available(Family.SDXL_REFINER)), None)
            if refiner is not None:
                models.checkpoint(refiner)
        if config.warmup:
            warm_started = time.perf_counter()
            if compiler is None:
                worker.generate(warmup.plain_job(default, device.type))
            else:
                self._warm_buckets(worker, compiler, default, refiner, s3)
            log.info("warm-up took %.2f s", time.perf_counter() - warm_started)
        self.worker = worker
        self.ready.set()
        log.info(
            "ready after %.2f s (device %s, dtype %s, default model %s%s, compiled: %s)",
            time.monotonic() - self.started,
            device,
            dtype,
            default.name,
            f", refiner {refiner.name}" if refiner else "",
            ", ".join(compiler.compiled) if compiler else "no",
        )

    def _warm_buckets(self, worker, compiler, default, refiner, s3) -> None:
        """Compile every bucket (`inference_container.warmup`), from the portable compile cache when one
        matches, and save the cache when this warm-up had to compile."""
        from inference_container import warmup
        from inference_container.compilation import CompileCache, cache_key
        from inference_container.storage import S3Files

        config = self.config
        sizes = warmup.buckets(default, config.compile_sizes_list())
        models = [default.name, *([refiner.name] if refiner else [])]
        key = cache_key(
            compiler.settings,
            config.torch_device(),
            config.torch_dtype(),
            models,
            [(b.width, b.height) for b in sizes],
        )
        remote = None
        if config.compile_cache_prefix and config.bucket and s3 is not None:
            remote = S3Files(s3, config.bucket, config.compile_cache_prefix)
        cache = CompileCache(folder=config.compile_cache_path(), remote=remote)
        hit = cache.load(key)
        jobs = list(warmup.bucket_jobs(default, refiner, sizes))
        with compiler.warm_up():
            warmup.run(worker.generate, jobs, budget_s=config.compile_warmup_budget_s)
        if hit is None:
            try:
                cache.save(key)
            except Exception as exc:  # a cache that cannot be kept costs the next start time, not this one
                log.warning("compile cache not saved: %s", exc)

    def close(self) -> None:
        """After the last job: let the output writer finish (jobs wait for their own writes already)."""
        if self.worker is not None and self.worker.writer is not None:
            self.worker.writer.close()

    def invoke(self, body: bytes) -> tuple[int, dict]:
        if not self.ready.is_set() or self.worker is None:
            return 503, InvocationError(
                error=self.failed or "the model is still loading; retry after /ping is 200", type="NotReady"
            ).model_dump()
        payload: Any = None
        try:
            payload = json.loads(body or b"null")
            job = Job.model_validate(payload)
        except (ValueError, ValidationError) as exc:
            job_id = payload.get("id") if isinstance(payload, dict) else None
            return 400, InvocationError(
                error=f"invalid job: {exc}",
                type="InvalidJob",
                job_id=job_id if isinstance(job_id, str) else None,
            ).model_dump()
        with self._job_lock:
            try:
                manifest = self.worker.run(job)
            except JobError as exc:
                log.warning("job %s failed: %s", job.id, exc.message)
                return exc.status, InvocationError(
                    error=exc.message, type=exc.kind, job_id=job.id
                ).model_dump()
            except Exception as exc:
                import torch

                if isinstance(exc, torch.cuda.OutOfMemoryError):
                    torch.cuda.empty_cache()
                    return 507, InvocationError(
                        error=f"out of accelerator memory: {exc}; use a smaller size or batch",
                        type="OutOfMemory",
                        job_id=job.id,
                    ).model_dump()
                log.exception("job %s crashed", job.id)
                return 500, InvocationError(
                    error=f"{type(exc).__name__}: {exc}", type=type(exc).__name__, job_id=job.id
                ).model_dump()
        return 200, manifest.model_dump(mode="json")


def _compiler(config: ContainerConfig):
    if not config.compiles():
        return None
    from inference_container.compilation import Compiler, CompileSettings

    return Compiler(CompileSettings(mode=config.compile_mode))


def _backend_flags(config: ContainerConfig, device) -> None:
    """TF32 and cuDNN autotuning: options, off until a GPU benchmark shows a gain."""
    if device.type != "cuda":
        return
    import torch

    torch.backends.cuda.matmul.allow_tf32 = config.tf32
    torch.backends.cudnn.allow_tf32 = config.tf32
    torch.backends.cudnn.benchmark = config.cudnn_benchmark


def make_handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sdapi-inference/0.1"

        def log_message(self, format: str, *args) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def _send(self, status: int, body: dict | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/ping":
                self._send(404, {"error": f"no route {self.path}", "type": "NotFound"})
            elif service.ready.is_set():
                self._send(200, {"status": "healthy"})
            else:
                self._send(
                    503, {"status": "failed" if service.failed else "loading", "error": service.failed}
                )

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/invocations":
                self._send(404, {"error": f"no route {self.path}", "type": "NotFound"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = service.invoke(body)
            self._send(status, answer)

    return Handler


class InferenceServer:
    """The HTTP server plus its service; `serve_forever` until `shutdown` (or SIGTERM via
    `install_signals`)."""

    def __init__(self, config: ContainerConfig, *, s3: Any = None, dynamodb: Any = None):
        self.service = Service(config, s3=s3, dynamodb=dynamodb)
        self.httpd = ThreadingHTTPServer((config.host, config.port), make_handler(self.service))
        self.httpd.daemon_threads = False
        self.httpd.block_on_close = True
        self._loader = threading.Thread(target=self.service.start, name="model-loader", daemon=True)
        self.exit_status = 0
        self.service.on_failure = self._start_up_failed

    def _start_up_failed(self) -> None:
        self.exit_status = 1
        self.shutdown()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start_loading(self) -> None:
        self._loader.start()

    def serve_forever(self) -> int:
        """Serve until `shutdown`; the exit status: 0, or 1 after a failed start-up."""
        self.start_loading()
        log.info("listening on %s:%d", *self.httpd.server_address[:2])
        self.httpd.serve_forever(poll_interval=0.2)
        self.httpd.server_close()
        self.service.close()
        log.info("stopped")
        return self.exit_status

    def shutdown(self) -> None:
        threading.Thread(target=self.httpd.shutdown, name="shutdown", daemon=True).start()

    def install_signals(self) -> None:
        def stop(signum, _frame):
            log.info("signal %s: finishing the running job and stopping", signal.Signals(signum).name)
            self.shutdown()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference_container",
        description="The SageMaker inference server: GET /ping, POST /invocations on "
        "$SAGEMAKER_BIND_TO_PORT (8080). Configured by environment variables: SDAPI_MODEL_ROOT, "
        "SDAPI_DEFAULT_MODEL, SDAPI_JOBS_TABLE, SDAPI_BUCKET, SDAPI_DEVICE, SDAPI_DTYPE, SDAPI_COMPILE(_*), "
        "SDAPI_PROGRESS_INTERVAL_S, SDAPI_MAX_LOADED_MODELS, SDAPI_WARMUP, SDAPI_BIND_HOST "
        "(see inference_container/config.py).",
    )
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"], help="what to run (serve)")
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ContainerConfig.from_env()
    server = InferenceServer(config)
    server.install_signals()
    return server.serve_forever()


if __name__ == "__main__":
    raise SystemExit(main())
