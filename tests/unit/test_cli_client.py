"""The `sdapi` command line: where the connection options may be given."""

from __future__ import annotations

import pytest

from sdapi.cli.client import DEFAULT_URL, Client, main, parser, save_images


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "https://api.example.com", "--key", "sd_k", "generate", "a cat"],
        ["generate", "a cat", "--url", "https://api.example.com", "--key", "sd_k"],
    ],
)
def test_url_and_key_are_accepted_before_or_after_the_command(argv):
    args = parser().parse_args(argv)
    assert (args.url, args.key, args.prompt) == ("https://api.example.com", "sd_k", "a cat")


def test_the_environment_supplies_the_defaults(monkeypatch):
    monkeypatch.setenv("SDAPI_KEY", "sd_env")
    monkeypatch.delenv("SDAPI_URL", raising=False)
    args = parser().parse_args(["load"])
    assert (args.url, args.key) == (DEFAULT_URL, "sd_env")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def running(step: int, total: int) -> dict:
    return {"id": "42", "status": "in_progress", "progress": {"step": step, "total": total}}


def test_generate_submits_follows_progress_and_saves_the_images(httpserver, tmp_path, capsys):
    submitted = {"prompt": "a cat", "steps": 4}
    httpserver.expect_ordered_request("/v1/jobs", method="POST", json=submitted).respond_with_json(
        {"id": "42", "status": "queued"}
    )
    httpserver.expect_ordered_request("/v1/jobs/42").respond_with_json(running(2, 4))
    image = {"url": httpserver.url_for("/outputs/42/0.png")}
    done = {"id": "42", "status": "completed", "progress": {"step": 4, "total": 4}, "images": [image]}
    httpserver.expect_ordered_request("/v1/jobs/42").respond_with_json(done)
    httpserver.expect_ordered_request("/outputs/42/0.png").respond_with_data(PNG, content_type="image/png")
    argv = ["--url", httpserver.url_for(""), "--key", "sd_k", "generate", "a cat", "--steps", "4"]

    code = main([*argv, "--out", str(tmp_path), "--poll", "0"])

    assert code == 0
    assert (tmp_path / "42-0.png").read_bytes() == PNG
    output = capsys.readouterr()
    assert output.out.splitlines() == ["job 42", str(tmp_path / "42-0.png")]
    assert "4/4" in output.err
    assert "completed" in output.err


def test_the_key_goes_to_the_api_and_never_to_the_image_host(httpserver, tmp_path):
    done = {"id": "42", "status": "completed", "images": [{"url": httpserver.url_for("/outputs/42/0.png")}]}
    httpserver.expect_request("/v1/jobs/42").respond_with_json(done)
    httpserver.expect_request("/outputs/42/0.png").respond_with_data(PNG)
    client = Client(httpserver.url_for(""), "sd_secret")

    saved = save_images(client, client.job("42"), tmp_path)

    assert saved == [tmp_path / "42-0.png"]
    api, image = (request for request, _ in httpserver.log)
    assert api.headers.get("x-api-key") == "sd_secret"
    assert image.headers.get("x-api-key") is None


def test_an_api_error_names_the_field_and_exits_2(httpserver, capsys):
    error = {"error": {"message": "invalid request", "fields": [{"field": "steps", "reason": "at most 150"}]}}
    httpserver.expect_request("/v1/jobs", method="POST").respond_with_json(error, status=400)

    code = main(["--url", httpserver.url_for(""), "generate", "a cat", "--steps", "500", "--quiet"])

    assert code == 2
    assert capsys.readouterr().err.strip() == "sdapi: HTTP 400: invalid request; steps: at most 150"


def test_a_url_that_is_not_http_is_refused(capsys):
    code = main(["--url", "ftp://example.com", "load"])

    assert code == 2
    assert "must be http(s)" in capsys.readouterr().err


def test_status_prints_state_progress_and_error(httpserver, capsys):
    failed = {"id": "42", "status": "failed", "progress": {"step": 3, "total": 20}, "error": "out of memory"}
    httpserver.expect_request("/v1/jobs/42").respond_with_json(failed)

    code = main(["--url", httpserver.url_for(""), "status", "42"])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == ["42  failed  3/20", "error: out of memory"]
