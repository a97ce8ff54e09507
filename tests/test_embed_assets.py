"""The embed as served: its size budget, a build that matches its readable sources byte for byte,
the on-demand files (embed-write.js, the catalogues) with their caching and CORS, and the rule
that only the service's sanitized comment HTML is ever inserted as HTML.

The build needs npm's terser (moderation/assets, installed by `make test` with `npm ci`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "moderation" / "assets"
STATIC = ROOT / "moderation" / "static"
BUILT = ["embed.js", "embed-write.js", "i18n/de.json", "i18n/es.json", "i18n/ar.json"]


def get(client, path, **headers):
    """A GET through the app, read and closed (a file response holds its file open until then)."""
    with client.get(path, headers=headers) as response:
        response.get_data()
    return response


def test_embed_js_as_served_fits_its_budget(client):
    served = get(client, "/embed.js").get_data()
    assert served == (STATIC / "embed.js").read_bytes()
    assert len(served) <= 12_288, len(served)
    assert len(gzip.compress(served, 9)) <= 5_120, len(gzip.compress(served, 9))
    assert b"Leave a Reply" in served  # the English catalogue is in it


def test_the_committed_build_is_what_the_sources_build(tmp_path):
    if not (ASSETS / "node_modules" / "terser").is_dir() or not shutil.which("node"):
        pytest.skip("terser is not installed: npm ci --prefix moderation/assets (make test does it)")
    subprocess.run(["node", str(ASSETS / "build.mjs"), str(tmp_path)], check=True, timeout=120)
    for name in BUILT:
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), f"{name}: run `make embed` and commit"


def _version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:8]


def test_embed_js_names_the_current_versions_of_what_it_fetches_later():
    source = (STATIC / "embed.js").read_text(encoding="utf-8")
    for lang in ("de", "es", "ar"):
        assert f'{lang}:"{_version(f"i18n/{lang}.json")}"' in source, lang
    assert f'/embed-write.js?v={_version("embed-write.js")}' in source


@pytest.mark.parametrize("lang", ["de", "es", "ar"])
def test_a_catalogue_is_json_for_any_site_cached_by_its_version(client, lang):
    current = get(client, f"/embed/i18n/{lang}.json?v={_version(f'i18n/{lang}.json')}")
    assert current.status_code == 200 and current.mimetype == "application/json"
    assert current.headers["Access-Control-Allow-Origin"] == "*"
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    english = json.loads((ASSETS / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(english) - {"none"} <= set(current.json), "every message of embed.js is translated"
    stale = get(client, f"/embed/i18n/{lang}.json?v=0")
    assert stale.headers["Cache-Control"] == "public, max-age=3600"
    assert get(client, f"/embed/i18n/{lang}.json", **{"If-None-Match": stale.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("lang", ["fr", "en", "EN", "..", "de.json"])
def test_an_unknown_language_is_a_json_404(client, lang):
    response = get(client, f"/embed/i18n/{lang}.json")
    assert response.status_code == 404
    assert response.json["error"] == "unknown_language"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_embed_write_js_is_javascript_cached_by_its_version(client):
    response = get(client, f"/embed-write.js?v={_version('embed-write.js')}")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert get(client, "/embed-write.js").headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("name", ["embed.js", "write.js"])
def test_only_the_sanitized_comment_html_is_inserted_as_html(name):
    source = (ASSETS / name).read_text(encoding="utf-8")
    assert re.findall(r"\.innerHTML\s*=\s*([^;]+);", source) == (["c.html"] if name == "embed.js" else [])
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc", "DOMParser"):
        assert sink not in source, sink
    built = (STATIC / ("embed.js" if name == "embed.js" else "embed-write.js")).read_text(encoding="utf-8")
    assert built.count("innerHTML") == (1 if name == "embed.js" else 0)


def test_embed_js_links_the_article_s_feed_near_its_heading():
    source = (ASSETS / "embed.js").read_text(encoding="utf-8")
    assert re.search(r'h\("a", \{ rel: "alternate", type: "application/atom\+xml", href: BASE \+ "/feeds/articles/" \+ '
                     r'q\(ARTICLE\) \+ "\.atom" \}, t\("feed"\)\)', source)
