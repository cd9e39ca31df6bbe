"""The committed OpenAPI schema is the code's: regenerate it when the API changes."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "attendance_site" / "openapi.yaml"
REGENERATE = "manage.py spectacular --validate --fail-on-warn --file attendance_site/openapi.yaml"


def test_schema_is_valid_and_committed(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert COMMITTED.exists(), f"The schema is not committed; run `{REGENERATE}`."
    assert generated.read_text() == COMMITTED.read_text(), (
        f"attendance_site/openapi.yaml is out of date with the code; run `{REGENERATE}` and commit it."
    )


def test_docs_are_served_without_a_cdn_or_inline_script(client, settings):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert '<script src="/api/docs/?script="></script>' in html and "<script>" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert client.get("/api/schema/").status_code == 200
