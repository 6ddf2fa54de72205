"""The baseline for bench/cold_import_bench.py: the least an api Lambda of this kind imports and builds at
init: a Powertools REST resolver with validation, boto3 (clients made on first use, as sdapi.aws.clients
does), and a pydantic model on one route. Not product code."""

from __future__ import annotations

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel, Field

_clients: dict = {}
app = APIGatewayRestResolver(enable_validation=True)


class Job(BaseModel):
    prompt: str = Field(description="What to draw.")
    steps: int = Field(default=20, ge=1, le=150)


@app.post("/v1/jobs")
def submit(job: Job) -> dict:
    return {"prompt": job.prompt, "steps": job.steps}


def client(name: str):
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def handler(event: dict, context) -> dict:
    return app.resolve(event, context)
