"""The SSRF guard: which URLs may be called, and how the call is made (checked address, no redirects)."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl

import pytest
from pytest_httpserver import HTTPServer

from sdapi import urlguard
from sdapi.errors import UrlRefused
from sdapi.urlguard import UrlPolicy, UrlUnreachable, check_url, fetch_image, guarded_request

STRICT = UrlPolicy()
LOCAL = UrlPolicy(allow_http=True, allow_loopback=True, timeout_s=2, max_bytes=1000)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve chosen names to chosen addresses (and count lookups); anything else fails."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            return real(host, port, *args, **kwargs)  # connecting to an address is not a lookup
        except ValueError:
            pass
        lookups.append(host)
        if host not in table:
            raise socket.gaierror("no such host")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", getaddrinfo)
    return table, lookups


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.5.4",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "[fd00:ec2::254]",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[2002:7f00:1::]",
        "[64:ff9b::a00:1]",
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
        "[fe80::1]",
        "[::]",
        "0x7f000001",
        "2130706433",
        "017700000001",
        "127.1",
        "0177.0.0.1",
        "0x7f.0.0.1",
    ],
)
def test_non_public_and_oddly_spelled_addresses_are_refused(host):
    with pytest.raises(UrlRefused) as raised:
        check_url(f"https://{host}/image.png", "init_image", policy=STRICT)
    assert raised.value.field_name == "init_image"
    assert raised.value.problems[0].field == "init_image"


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "169.254.169.254", "[fd00:ec2::254]", "192.168.0.10", "100.64.1.1", "2130706433"]
)
def test_local_mode_allows_loopback_only(host):
    with pytest.raises(UrlRefused):
        check_url(f"http://{host}/x", "webhook", policy=LOCAL)


def test_local_mode_allows_loopback_addresses():
    check_url("http://127.0.0.1:8080/hook", "webhook", policy=LOCAL)
    check_url("http://[::1]:8080/hook", "webhook", policy=LOCAL)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.215.14/a.png", "only https"),
        ("ftp://93.184.215.14/a.png", "only https"),
        ("file:///etc/passwd", "only https"),
        ("https://user:pw@93.184.215.14/a.png", "credentials"),
        ("https:///a.png", "no host"),
        ("https://93.184.215.14:99999/", "malformed"),
        ("", "empty"),
    ],
)
def test_scheme_and_shape_rules(url, words):
    with pytest.raises(UrlRefused) as raised:
        check_url(url, "init_image", policy=STRICT)
    assert words in raised.value.reason


def test_public_literal_addresses_pass():
    check_url("https://93.184.215.14/a.png", "init_image", policy=STRICT)
    check_url("https://[2606:4700:4700::1111]/a.png", "init_image", policy=STRICT)


def test_a_name_is_refused_if_any_of_its_addresses_is_private(fake_dns):
    table, _ = fake_dns
    table["mixed.example"] = ["93.184.215.14", "10.0.0.5"]
    table["public.example"] = ["93.184.215.14"]
    table["meta.example"] = ["169.254.169.254"]

    check_url("https://public.example/a.png", "init_image", policy=STRICT)
    for name in ("mixed.example", "meta.example", "unknown.example"):
        with pytest.raises(UrlRefused):
            check_url(f"https://{name}/a.png", "init_image", policy=STRICT)


def test_fetch_returns_an_image(httpserver: HTTPServer):
    httpserver.expect_request("/a.png").respond_with_data(PNG, content_type="image/png")

    assert fetch_image(httpserver.url_for("/a.png"), "init_image", policy=LOCAL) == PNG


def test_the_connection_goes_to_the_checked_address_with_the_host_header(httpserver: HTTPServer, fake_dns):
    table, lookups = fake_dns
    table["images.test"] = ["127.0.0.1"]
    seen = {}

    def handler(request):
        from werkzeug import Response

        seen["host"] = request.headers.get("Host")
        return Response(PNG, content_type="image/png")

    httpserver.expect_request("/a.png").respond_with_handler(handler)

    body = fetch_image(f"http://images.test:{httpserver.port}/a.png", "init_image", policy=LOCAL)

    assert body == PNG
    assert lookups == ["images.test"]
    assert seen["host"] == f"images.test:{httpserver.port}"


def test_redirects_are_refused_naming_the_field(httpserver: HTTPServer):
    httpserver.expect_request("/r").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )

    with pytest.raises(UrlRefused) as raised:
        fetch_image(httpserver.url_for("/r"), "init_image", policy=LOCAL)

    assert raised.value.field_name == "init_image"
    assert "redirect" in raised.value.reason


def test_guarded_request_returns_redirects_without_following(httpserver: HTTPServer):
    httpserver.expect_request("/hook", method="POST").respond_with_data(
        "", status=307, headers={"Location": "http://10.0.0.1/"}
    )

    response = guarded_request(
        "POST",
        httpserver.url_for("/hook"),
        "webhook",
        body=b"{}",
        headers={"Content-Type": "application/json"},
        policy=LOCAL,
    )

    assert response.status == 307
    assert response.headers["location"] == "http://10.0.0.1/"


def test_oversized_bodies_are_refused_while_streaming(httpserver: HTTPServer):
    def chunks():
        for _ in range(10):
            yield b"x" * 500

    from werkzeug import Response

    httpserver.expect_request("/big").respond_with_response(Response(chunks(), content_type="image/png"))

    with pytest.raises(UrlRefused) as raised:
        fetch_image(httpserver.url_for("/big"), "init_image", policy=LOCAL)
    assert "larger than 1000 bytes" in raised.value.reason


def test_non_images_and_errors_are_refused(httpserver: HTTPServer):
    httpserver.expect_request("/page").respond_with_data("<html/>", content_type="text/html")
    httpserver.expect_request("/missing").respond_with_data("no", status=404, content_type="image/png")

    with pytest.raises(UrlRefused) as not_image:
        fetch_image(httpserver.url_for("/page"), "init_image", policy=LOCAL)
    with pytest.raises(UrlRefused) as missing:
        fetch_image(httpserver.url_for("/missing"), "init_image", policy=LOCAL)

    assert "not an image" in not_image.value.reason
    assert "404" in missing.value.reason


def test_unreachable_hosts_raise_unreachable_for_requests_and_refusal_for_fetches():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UrlUnreachable):
        guarded_request("POST", f"http://127.0.0.1:{port}/", "webhook", body=b"", policy=LOCAL)
    with pytest.raises(UrlRefused):
        fetch_image(f"http://127.0.0.1:{port}/a.png", "init_image", policy=LOCAL)


def test_tls_certificates_are_checked(tmp_path):
    """An https server with a certificate nobody trusts is not talked to."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/a.png").respond_with_data(PNG, content_type="image/png")
    server.start()
    try:
        with pytest.raises(UrlRefused) as raised:
            fetch_image(
                f"https://127.0.0.1:{server.port}/a.png",
                "init_image",
                policy=UrlPolicy(allow_loopback=True, timeout_s=2),
            )
        assert "SSLError" in raised.value.reason
    finally:
        server.clear()
        server.stop()


def test_policy_from_settings(settings):
    policy = UrlPolicy.from_settings(settings.model_copy(update={"allow_loopback_urls": True}))
    assert policy.allow_loopback
    assert not policy.allow_http
    assert policy.max_bytes == settings.limits.max_image_bytes


@pytest.mark.parametrize(
    "host",
    [
        "[fc00::1]",
        "[fd12:3456::1]",
        "[febf::1]",
        "[fec0::1]",
        "0.1.2.3",
        "0.255.255.255",
        "[64:ff9b::10.0.0.1]",
        "[64:ff9b::169.254.169.254]",
        "[64:ff9b:1::a00:1]",
        "[2002:a00:1::1]",
        "[2002:a9fe:a9fe::]",
        "[2001:0:a00:1::1]",
        "[::10.0.0.1]",
        "192.0.0.8",
        "[3fff::1]",
    ],
)
def test_ipv6_private_ranges_and_embedded_private_ipv4_are_refused(host):
    with pytest.raises(UrlRefused):
        check_url(f"https://{host}/image.png", "init_image", policy=STRICT)


def test_embedded_public_ipv4_passes():
    check_url("https://[64:ff9b::93.184.215.14]/a.png", "init_image", policy=STRICT)
    check_url("https://[2002:5db8:d70e::1]/a.png", "init_image", policy=STRICT)


@pytest.mark.parametrize(
    "forbidden", ["fd00::5", "fe80::1", "::", "64:ff9b::a00:5", "2002:7f00:1::", "0.0.0.0"]
)
def test_a_forbidden_address_anywhere_in_the_dns_answer_refuses_the_name(fake_dns, forbidden):
    table, _ = fake_dns
    table["mixed.example"] = ["93.184.215.14", "2606:4700:4700::1111", forbidden]
    with pytest.raises(UrlRefused) as raised:
        check_url("https://mixed.example/a.png", "init_image", policy=STRICT)
    assert "forbidden address" in raised.value.reason
