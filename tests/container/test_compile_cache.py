"""The portable compile cache: what one process compiled, a fresh process (empty inductor cache) loads and
compiles from, instead of generating the code again, from its own folder or fetched from where an earlier
instance uploaded it. Real inductor on the CPU (a C++ compiler is needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.container

REPO = Path(__file__).resolve().parents[2]
PROGRAM = """
import sys
from pathlib import Path

import torch
from torch._dynamo.utils import counters

from inference_container.compilation import CompileCache

mode, folder, remote = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])


class FolderFiles:
    def fetch(self, name):
        return (remote / name).read_bytes() if (remote / name).is_file() else None

    def upload(self, name, data):
        remote.mkdir(parents=True, exist_ok=True)
        (remote / name).write_bytes(data)


cache = CompileCache(folder=folder, remote=FolderFiles())
if mode == "load":
    assert cache.load("key") is not None
step = torch.compile(lambda x: (x * 2 + 1).relu().sum(), backend="inductor")
step(torch.randn(8, 8))
print("hits", counters["inductor"]["fxgraph_cache_hit"])
if mode == "save":
    assert cache.save("key") is not None
"""


def run(mode: str, folder: Path, inductor_dir: Path, remote: Path) -> str:
    env = {
        **os.environ,
        "TORCHINDUCTOR_CACHE_DIR": str(inductor_dir),
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambdas"), str(REPO)]),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode, str(folder), str(remote)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout


def test_a_fresh_process_compiles_from_the_saved_cache(tmp_path):
    saved = run("save", tmp_path / "cache", tmp_path / "inductor-first", tmp_path / "s3")

    loaded = run("load", tmp_path / "cache", tmp_path / "inductor-second", tmp_path / "nothing")

    assert "hits 0" in saved
    assert "hits 1" in loaded


def test_a_new_instance_compiles_from_the_cache_an_earlier_one_uploaded(tmp_path):
    run("save", tmp_path / "first-instance", tmp_path / "inductor-first", tmp_path / "s3")

    loaded = run("load", tmp_path / "second-instance", tmp_path / "inductor-second", tmp_path / "s3")

    assert "hits 1" in loaded
