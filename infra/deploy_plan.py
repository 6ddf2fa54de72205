"""What `make deploy` deploys this time, and what to do next (the staged first deploy, docs/deploy.md).

An endpoint created over an empty model prefix never answers `/ping` and rolls the whole stack back, so a
pool's endpoint is deployed only once its models are staged:

    python -m infra.deploy_plan context [-c key=value ...]   # the `-c` arguments for `cdk deploy`
    python -m infra.deploy_plan next [-c key=value ...]      # after the deploy: the next step

`context` reads the deployed stack's bucket (if the stack exists) and, per pool, whether its model prefix
holds `catalog.json` and a file of every model; it prints `-c serving_pools=...` naming the staged pools
('-' for none). Where the account's Lambda concurrency quota is too small for the reserved concurrency of
the completion, events and long-wait functions (new accounts may have 10), it also turns those reservations
off, with a note on stderr (the long-wait URL is then bounded by its per-key rate only). Everything else on
the command line (other `cdk` options) is ignored.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import DeployConfig, PoolConfig
from infra.stage_models import load_config, model_prefix

STACK_NAME = "Sdapi"  # infra.app.STACK_NAME (not imported: that pulls in the whole CDK)
MIN_UNRESERVED_CONCURRENCY = 100
"""Lambda refuses a reservation that leaves the account fewer unreserved executions than this."""


@dataclass(frozen=True)
class PoolPlan:
    pool: str
    missing: tuple[str, ...]
    """What is not staged yet (catalog.json, model names); empty when the endpoint can be deployed."""

    @property
    def staged(self) -> bool:
        return not self.missing


def stack_outputs(cloudformation: Any, stack: str = STACK_NAME) -> dict[str, str] | None:
    """The stack's outputs, or None when it does not exist yet."""
    from botocore.exceptions import ClientError

    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def _exists(s3: Any, bucket: str, prefix: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0))


def pool_plan(s3: Any, config: DeployConfig, pool: PoolConfig, bucket: str | None) -> PoolPlan:
    """Whether a pool's prefix holds catalog.json and files for every model of the pool."""
    if bucket is None and not pool.model_data_url:
        return PoolPlan(pool.name, ("the bucket (created by this deploy)",))
    target, prefix = model_prefix(config, pool, bucket or "")
    missing = [] if _exists(s3, target, f"{prefix}catalog.json") else ["catalog.json"]
    for entry in config.container_catalog(pool):
        if not _exists(s3, target, f"{prefix}{entry['path']}/"):
            missing.append(entry["name"])
    return PoolPlan(pool.name, tuple(missing))


def concurrency_fits(lambda_client: Any, config: DeployConfig) -> bool:
    """Whether the account's concurrency quota leaves enough unreserved after the reservations."""
    reserved = sum(
        n or 0
        for n in (
            config.completion_reserved_concurrency,
            config.events_reserved_concurrency,
            config.sync_url_reserved_concurrency,
        )
    )
    if not reserved:
        return True
    total = lambda_client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    return total - reserved >= MIN_UNRESERVED_CONCURRENCY


def context_args(plans: list[PoolPlan], concurrency_ok: bool) -> list[str]:
    staged = [p.pool for p in plans if p.staged]
    args = ["-c", f"serving_pools={','.join(staged) or '-'}"]
    if not concurrency_ok:
        for key in (
            "completion_reserved_concurrency",
            "events_reserved_concurrency",
            "sync_url_reserved_concurrency",
        ):
            args += ["-c", f"{key}=null"]
    return args


def next_steps(plans: list[PoolPlan], outputs: dict[str, str] | None, config: DeployConfig) -> str:
    bucket = (outputs or {}).get("BucketName", "<BucketName output>")
    waiting = [p for p in plans if not p.staged]
    if waiting:
        lines = ["Next: stage the models, then run `make deploy` again (it then creates the endpoints)."]
        for plan in waiting:
            pool = next(p for p in config.pools if p.name == plan.pool)
            sources = " ".join(
                f"--source {e['name']}=/path/to/{e['path']}" for e in config.container_catalog(pool)
            )
            lines.append(
                f"  pool {plan.pool} (missing: {', '.join(plan.missing)}):\n"
                f"    .venv/bin/python -m infra.stage_models --bucket {bucket} --pool {plan.pool} {sources}"
            )
        return "\n".join(lines)
    url = (outputs or {}).get("ApiUrl", "<ApiUrl output>")
    keys = (outputs or {}).get("KeysTableName", "<KeysTableName output>")
    text = (
        "Every pool serves. Next: create a key and send a first request (docs/deploy.md):\n"
        f"  SDAPI_KEYS_TABLE={keys} .venv/bin/sdapi-keys create --owner me\n"
        f"  .venv/bin/sdapi smoke --url {url} --key <the key>"
    )
    if outputs is None or "SyncUrl" in outputs:  # no function URLs in aws-us-gov
        sync_url = (outputs or {}).get("SyncUrl", "<SyncUrl output>")
        text += (
            f"\nSynchronous A1111 / RunPod clients (txt2img, img2img, runsync): the long-wait URL {sync_url}"
        )
    return text


def main(argv: list[str] | None = None, *, clients: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["context", "next"])
    parser.add_argument("-c", "--context", action="append", default=[], help="key=value, as with cdk -c")
    parser.add_argument("--cdk-json", type=Path, default=Path("cdk.json"))
    args, _ = parser.parse_known_args(argv)
    overrides = [c for c in args.context if not c.startswith("serving_pools=")]
    config = load_config(args.cdk_json, overrides)
    if clients is None:
        import boto3

        clients = boto3
    outputs = stack_outputs(clients.client("cloudformation"))
    bucket = (outputs or {}).get("BucketName")
    s3 = clients.client("s3")
    plans = [pool_plan(s3, config, pool, bucket) for pool in config.pools]
    if args.command == "context":
        fits = concurrency_fits(clients.client("lambda"), config)
        if not fits:
            print(
                "note: this account's Lambda concurrency quota is too small for reserved concurrency; "
                "deploying without it (request a higher 'Concurrent executions' quota to get it back)",
                file=sys.stderr,
            )
        for plan in plans:
            if not plan.staged:
                print(
                    f"note: pool {plan.pool}: no endpoint this time (not staged: {', '.join(plan.missing)})",
                    file=sys.stderr,
                )
        print(" ".join(context_args(plans, fits)))
    else:
        print(next_steps(plans, outputs, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
