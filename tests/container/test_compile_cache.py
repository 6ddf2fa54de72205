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


@pytest.fixture(scope="module")
def first_instance(tmp_path_factory) -> tuple[Path, str]:
    """One process that compiled and saved its cache to its folder and uploaded it (`root/s3`)."""
    root = tmp_path_factory.mktemp("compile-cache")
    saved = run("save", root / "first-instance", root / "inductor-first", root / "s3")
    return root, saved


def test_the_first_process_compiles_without_a_cache(first_instance):
    _, saved = first_instance
    assert "hits 0" in saved


def test_a_fresh_process_compiles_from_the_saved_cache(first_instance, tmp_path):
    root, _ = first_instance

    loaded = run("load", root / "first-instance", tmp_path / "inductor-second", tmp_path / "nothing")

    assert "hits 1" in loaded


def test_a_new_instance_compiles_from_the_cache_an_earlier_one_uploaded(first_instance, tmp_path):
    root, _ = first_instance

    loaded = run("load", tmp_path / "second-instance", tmp_path / "inductor-second", root / "s3")

    assert "hits 1" in loaded
