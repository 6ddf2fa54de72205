"""OpenAPI document, Swagger UI and health route of the real api handler: served without an API key."""

from __future__ import annotations

import pytest

from tests.integration.api_support import api_for, settings_for

ROUTES = {
    ("post", "/v1/jobs"),
    ("get", "/v1/jobs/{job_id}"),
    ("delete", "/v1/jobs/{job_id}"),
    ("get", "/v1/system/load"),
    ("get", "/v1/models"),
    ("post", "/v1/uploads"),
    ("post", "/v2/{endpoint}/run"),
    ("post", "/v2/{endpoint}/runsync"),
    ("get", "/v2/{endpoint}/status/{job_id}"),
    ("post", "/v2/{endpoint}/cancel/{job_id}"),
    ("post", "/v2/{endpoint}/retry/{job_id}"),
    ("post", "/v2/{endpoint}/purge-queue"),
    ("get", "/v2/{endpoint}/health"),
    ("post", "/sdapi/v1/txt2img"),
    ("post", "/sdapi/v1/img2img"),
    ("get", "/sdapi/v1/samplers"),
    ("get", "/sdapi/v1/schedulers"),
    ("get", "/sdapi/v1/sd-models"),
    ("get", "/sdapi/v1/sd-vae"),
    ("get", "/sdapi/v1/options"),
    ("get", "/sdapi/v1/progress"),
    ("post", "/api/v3/text2img"),
    ("post", "/api/v3/img2img"),
    ("post", "/api/v3/inpaint"),
    ("post", "/api/v3/fetch/{job_id}"),
    ("post", "/api/v3/system_load"),
    ("post", "/v1alpha2"),
    ("post", "/v1alpha1"),
    ("get", "/v1alpha2/{job_id}"),
}


@pytest.fixture
def api(aws):
    return api_for(settings_for(aws))


def test_openapi_document_is_valid_3_1_with_every_route(api):
    from openapi_spec_validator import validate

    status, spec, _ = api.call("GET", "/openapi.json", key=None)

    assert status == 200
    assert spec["openapi"].startswith("3.1")
    routes = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert routes >= ROUTES
    assert "Txt2ImgRequest" in spec["components"]["schemas"]
    props = spec["components"]["schemas"]["Txt2ImgRequest"]["properties"]
    assert props["sampler_name"]["description"]
    validate(spec)


def test_swagger_ui_and_ping_need_no_key(api):
    status, html, _ = api.call("GET", "/docs", key=None)
    assert status == 200
    assert "swagger-ui" in html.lower()
    assert "cdn" not in html.lower()
    assert api.call("GET", "/ping", key=None)[:2] == (200, {"status": "ok"})
