"""Reader speed: how soon an article's 50 comments are visible, in Chromium, cold, on a slow
4G profile and on the local network — the service of today against the one before it.

Run from the project root:  .venv/bin/python bench/reader_bench.py [--baseline COMMIT] [--loads 5] [--rounds 3]

Both services run from the same database (50 approved comments, some replies; built through
the real app, as bench/api_bench.py builds it) in gunicorn (2 sync workers) pinned to core 1:
this tree's, and the baseline commit's (default 1b2e3fd, before the embed was rebuilt) from a
git worktree. A static host page on another origin (also core 1) carries the embed. Chromium
(Debian's, through Playwright) is pinned to core 0 with this process. Each load is a new
browser context with the cache off; "slow 4G" is Lighthouse's profile set through the DevTools
protocol (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up). Visible: the first animation
frame at which 50 comments are in the embed (timed from navigation start). The two versions
alternate load by load, so the machine's noise falls on both. Medians of --loads cold loads,
for each of --rounds rounds and over all of them (the machine is shared: a round's median moves).
Writes bench/results/reader.json and reader.md.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import secrets
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from api_bench import ARTICLE, HOST, RESULTS, ROOT, Server, build_database, free_port, log  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PROFILES = {
    "slow_4g": {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8},
    "local": None,
}
COMMENTS = 50
TARGET_MS = {"slow_4g": 600}
LOAD_TIMEOUT_S = 30
# Polls every animation frame from before the page's first script: when the embed's shadow root
# (or the page, for a fragment) holds COMMENTS comments, that frame's time is the answer.
WATCH = """
(() => {
  function count() {
    const host = document.getElementById("comments");
    const root = host && host.shadowRoot;
    return root ? root.querySelectorAll("li[id^='comment-']").length : 0;
  }
  function frame() {
    if (count() >= %d) { window.__visible = performance.now(); return; }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();
""" % COMMENTS


def host_page(service: str) -> bytes:
    """An article page of a site on another origin, with the one script tag."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>The benchmark article · Blog</title>
</head><body><main><article><h1>The benchmark article</h1><p>{"Some article text. " * 80}</p></article>
<div id="comments"></div>
<script src="{service}/embed.js" data-article="{ARTICLE}" async></script></main></body></html>""".encode()


class HostSite:
    """The site's own page, from a thread of this process on its own port (another origin)."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 -- the stdlib's name
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = socketserver.ThreadingTCPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def one_load(browser: Any, url: str, profile: dict[str, Any] | None) -> dict[str, Any]:
    """One cold load: the time 50 comments are visible, and what the page fetched."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if profile:
            cdp.send("Network.emulateNetworkConditions", profile)
        fetched: dict[str, dict[str, Any]] = {}
        cdp.on("Network.responseReceived", lambda e: fetched.setdefault(e["requestId"], {}).update(
            url=e["response"]["url"], encoding=e["response"]["headers"].get("content-encoding",
                                                                            e["response"]["headers"].get("Content-Encoding", ""))))
        cdp.on("Network.loadingFinished", lambda e: fetched.setdefault(e["requestId"], {}).update(
            bytes=e["encodedDataLength"]))
        page.add_init_script(WATCH)
        page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_S * 1000)
        page.wait_for_function("window.__visible !== undefined", timeout=LOAD_TIMEOUT_S * 1000, polling=50)
        visible = page.evaluate("window.__visible")
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_S * 1000)
        service = [f for f in fetched.values() if "url" in f and not f["url"].startswith(url.rsplit("/", 1)[0] + "/")]
        return {"visible_ms": round(visible, 1), "requests_to_service": len(service),
                "avatar_requests": sum("/avatars/" in f["url"] for f in service),
                "bytes_from_service": sum(f.get("bytes", 0) for f in service),
                "by_resource": {f["url"].split("?")[0].rsplit("/", 1)[-1]: [f.get("bytes", 0), f.get("encoding", "")]
                                for f in service if "/avatars/" not in f["url"]}}
    finally:
        context.close()


def baseline_tree(commit: str, tmp: Path) -> Path:
    """The baseline commit, checked out in a worktree of its own (removed at the end)."""
    tree = tmp / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True,
                   capture_output=True)
    subprocess.run(["make", "-C", str(tree), "translations"], capture_output=True)  # where it has catalogues
    return tree


def summary(loads: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the loads, and the loads themselves."""
    return {"visible_ms_median": statistics.median(load["visible_ms"] for load in loads),
            "visible_ms": [load["visible_ms"] for load in loads],
            "requests_to_service": statistics.median(load["requests_to_service"] for load in loads),
            "avatar_requests": statistics.median(load["avatar_requests"] for load in loads),
            "bytes_from_service": statistics.median(load["bytes_from_service"] for load in loads),
            "by_resource": loads[-1]["by_resource"]}


def main() -> None:
    """Build the data, start both services and the host site, load the page, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="1b2e3fd")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    os.sched_setaffinity(0, {0})  # this process and the browser it starts: core 0; the servers: core 1
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as name:
        tmp = Path(name)
        url, data = build_database(tmp, secret)
        tree = baseline_tree(args.baseline, tmp)
        sites: dict[str, bytes] = {}
        host = HostSite(sites)
        env = {**os.environ, "MODERATION_DATABASE_URL": url, "MODERATION_SECRET_KEY": secret,
               "MODERATION_ALLOWED_ORIGINS": host.url, "MODERATION_RATELIMIT": "0"}
        servers = {"current": Server("current", "app:app", env, tmp, core=1),
                   "baseline": Server("baseline", "app:app", env, tmp, core=1, cwd=tree)}
        try:
            for version, server in servers.items():
                server.wait_ready("/healthz")
                server.check_pinned()
                sites[f"/{version}"] = host_page(server.url)
            results: dict[str, dict[str, Any]] = {}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for profile, conditions in PROFILES.items():
                    loads: dict[str, list[dict[str, Any]]] = {version: [] for version in servers}
                    one_load(browser, f"{host.url}/current", conditions)  # warm the servers' caches, not the browser's
                    one_load(browser, f"{host.url}/baseline", conditions)
                    rounds = []
                    for _ in range(args.rounds):
                        found: dict[str, list[dict[str, Any]]] = {version: [] for version in servers}
                        for n in range(args.loads):
                            for version in (servers if n % 2 == 0 else reversed(list(servers))):
                                found[version].append(one_load(browser, f"{host.url}/{version}", conditions))
                                log(f"{profile} {version}: {found[version][-1]['visible_ms']} ms")
                        rounds.append({version: statistics.median(load["visible_ms"] for load in runs)
                                       for version, runs in found.items()})
                        for version, runs in found.items():
                            loads[version] += runs
                    results[profile] = {version: summary(found) for version, found in loads.items()}
                    results[profile]["round_medians_ms"] = rounds
                    results[profile]["ratio_current_to_baseline"] = round(
                        results[profile]["current"]["visible_ms_median"] /
                        results[profile]["baseline"]["visible_ms_median"], 3)
                browser.close()
        finally:
            for server in servers.values():
                server.stop()
            host.stop()
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    result = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "baseline": args.baseline,
              "loads_per_version_and_profile": args.loads * args.rounds, "rounds": args.rounds, "comments": COMMENTS, "data": data,
              "profiles": {name: conditions for name, conditions in PROFILES.items()}, "targets_ms": TARGET_MS,
              "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reader.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, RESULTS / "reader.md")
    print(json.dumps(results, indent=2))


def write_markdown(result: dict[str, Any], path: Path) -> None:
    """The results as a table for people."""
    lines = [f"# Reader speed: {COMMENTS} comments visible, cold loads in Chromium",
             "", f"Measured {result['measured_at']}; `bench/reader_bench.py`, median of "
             f"{result['loads_per_version_and_profile']} cold loads per version and profile ({result['rounds']} "
             f"rounds of {result['loads_per_version_and_profile'] // result['rounds']}), the two versions "
             f"alternating. Baseline: commit `{result['baseline']}`. Servers: gunicorn, 2 sync workers, "
             "`taskset -c 1`; Chromium on core 0. Slow 4G: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.", "",
             "| profile | version | visible (median) | each load (ms) | requests to the service | avatar requests "
             "| bytes from the service |", "|---|---|---|---|---|---|---|"]
    for profile, found in result["results"].items():
        for version in ("baseline", "current"):
            row = found[version]
            lines.append(f"| {profile} | {version} | **{row['visible_ms_median']:.0f} ms** | "
                         f"{', '.join(f'{v:.0f}' for v in row['visible_ms'])} | {row['requests_to_service']:.0f} | "
                         f"{row['avatar_requests']:.0f} | {row['bytes_from_service']:,.0f} |")
        target = result["targets_ms"].get(profile)
        verdict = f" (target ≤ {target} ms: {'met' if found['current']['visible_ms_median'] <= target else 'missed'})" \
            if target else ""
        lines.append(f"| {profile} | current ÷ baseline | {found['ratio_current_to_baseline']:.2f}{verdict} | | | | |")
        per_round = "; ".join(f"{r['current']:.0f} against {r['baseline']:.0f}" for r in found["round_medians_ms"])
        lines.append(f"| {profile} | each round's medians (current against baseline) | {per_round} | | | | |")
    lines += ["", "Bytes per resource of the last current load (as sent, and its encoding):", ""]
    for profile, found in result["results"].items():
        for version in ("baseline", "current"):
            parts = ", ".join(f"`{name}` {size:,} B {enc or 'plain'}" for name, (size, enc)
                              in found[version]["by_resource"].items())
            lines.append(f"- {profile}, {version}: {parts}")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
