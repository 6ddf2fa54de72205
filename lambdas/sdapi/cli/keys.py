"""`sdapi-keys`: create, list and revoke API keys in the keys table.

    sdapi-keys create --owner team-a [--name ci]   # prints the key ONCE, with its webhook secret
    sdapi-keys list                                # key ids, owners, names, revoked (never hashes/secrets)
    sdapi-keys revoke key_0123abcd

The table is `--table` or `SDAPI_KEYS_TABLE`; AWS credentials, region and endpoint come from the usual
boto3 environment (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from sdapi.auth import create_key
from sdapi.aws.keys_table import KeysTable
from sdapi.errors import DomainError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sdapi-keys", description="Manage sdapi API keys.")
    parser.add_argument("--table", help="keys table name (default: $SDAPI_KEYS_TABLE)")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key; prints it once")
    create.add_argument("--owner", required=True, help="owner id: jobs belong to owners")
    create.add_argument("--name", default="", help="a label for the key")
    commands.add_parser("list", help="list keys (no secrets)")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    table = args.table or os.environ.get("SDAPI_KEYS_TABLE")
    if not table:
        print("sdapi-keys: set --table or SDAPI_KEYS_TABLE", file=sys.stderr)
        return 2
    keys = KeysTable(table)
    try:
        if args.command == "create":
            created = create_key(keys, owner=args.owner, name=args.name)
            out: object = {
                "key": created.key,
                "key_id": created.key_id,
                "owner": created.owner,
                "name": created.name,
                "webhook_secret": created.webhook_secret,
                "note": "store the key now: it is not shown again",
            }
        elif args.command == "list":
            out = sorted(
                (
                    {
                        "key_id": r.get("key_id"),
                        "owner": r.get("owner"),
                        "name": r.get("name", ""),
                        "created_at": r.get("created_at"),
                        "revoked": bool(r.get("revoked")),
                    }
                    for r in keys.list()
                ),
                key=lambda r: r["created_at"] or 0,
            )
        else:
            record = keys.revoke(args.key_id)
            out = {
                "key_id": record["key_id"],
                "owner": record["owner"],
                "revoked": True,
                "note": "takes effect within a minute: api processes cache accepted keys for up to 60 s",
            }
    except DomainError as error:
        print(f"sdapi-keys: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
