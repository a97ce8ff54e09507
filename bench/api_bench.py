"""Load benchmark of the public comments API, measured against a same-run "ceiling".

Run from the project root:  .venv/bin/python bench/api_bench.py

What it does (everything on 127.0.0.1, every loop bounded, servers always stopped):
1. Makes a temporary SQLite database through the real app: schema, a moderator and a
   token from the CLI commands, 50 comments on `bench-article` submitted with the test
   client and approved through the token API, and a few comments on other articles.
2. Starts gunicorn serving `app:app` on that database, and a second gunicorn with the
   same settings serving `bench/ceiling.py`: bare Flask returning, from memory, the exact
   body and headers the real server gave for GET /api/v1/articles/bench-article/comments.
3. Runs wrk (fixed threads/connections/duration) interleaved over several rounds:
   (a) GET the 50-comment article, (b) the same GET with If-None-Match (304),
   (c) POST a new valid comment to `bench-post` (202), (d) the ceiling.
4. Counts SQL statements per GET in-process (cold and warm; 200, 304, page 2).
5. Prints a JSON summary and writes bench/results/api.json and bench/results/api.md.

The machine is small and shared, so absolute numbers are noisy; the ratios against the
ceiling measured in the same run are what to compare between runs.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
ARTICLE = "bench-article"
POST_ARTICLE = "bench-post"
OTHER_ARTICLES = ("bench-other-1", "bench-other-2", "12345")
LIST_PATH = f"/api/v1/articles/{ARTICLE}/comments"
POST_PATH = f"/api/v1/articles/{POST_ARTICLE}/comments"
APPROVED_ON_ARTICLE = 50

GUNICORN_SETTINGS = ["--workers", "2", "--worker-class", "sync", "--no-control-socket", "--timeout", "30",
                     "--graceful-timeout", "5", "--log-level", "warning"]
TARGETS = {"get_vs_ceiling": 0.50, "not_modified_vs_ceiling": 0.80, "sql_per_get": 2}
SCENARIOS = ("get", "not_modified", "post", "ceiling")
SCENARIO_TITLES = {
    "get": f"GET {LIST_PATH} (200, 50 comments)",
    "not_modified": f"GET {LIST_PATH} + If-None-Match (304)",
    "post": f"POST {POST_PATH} (202, new comment)",
    "ceiling": "ceiling: bare Flask, same bytes from memory",
}
EXPECTED_STATUS = {"get": 200, "not_modified": 304, "post": 202, "ceiling": 200}
HOP_BY_HOP = {"server", "date", "connection", "content-length", "transfer-encoding", "keep-alive"}


class BenchError(RuntimeError):
    """The benchmark could not measure what it claims to measure."""


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the JSON summary."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data


def comment_fields(index: int) -> dict[str, Any]:
    """A realistic, valid submission that differs for every index."""
    paragraphs = [
        f"Comment number {index} on the benchmark article. I read it twice and still have a question "
        f"about the second section, where the argument turns on a detail that is easy to miss.",
        "Here is what I mean: the *example* with the three cases works, but the fourth one "
        "(the one with the <em>empty</em> input) seems to need a different rule.",
        f"See https://example.org/notes/{index} for a longer write-up, and thanks for the article.",
    ]
    body = "\n\n".join(paragraphs[: 1 + index % 3])
    fields: dict[str, Any] = {"name": f"Reader {index:02d}", "email": f"reader{index:02d}@example.org", "body": body}
    if index % 4 == 0:
        fields["website"] = f"https://reader{index:02d}.example"
    if index % 5 == 0:
        fields["article_title"] = "The benchmark article"
        fields["article_url"] = "https://blog.example/bench-article"
    return fields


def build_database(tmp: Path, secret: str) -> tuple[str, dict[str, Any]]:
    """Create and fill the database through the real app; return its URL and a summary."""
    from moderation import create_app
    from moderation.database import create_schema

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT": "0"})
    engine = app.extensions["moderation.engine"]
    create_schema(engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-moderator", "bench-mod", "--password-stdin"],
                           input="bench-password-" + secrets.token_hex(8) + "\n")
    if result.exit_code != 0:
        raise BenchError(f"create-moderator failed: {result.output}")
    result = runner.invoke(args=["create-token", "bench-mod"])
    if result.exit_code != 0:
        raise BenchError(f"create-token failed: {result.output}")
    token = result.output.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()

    statuses: dict[str, int] = {}

    def submit(article: str, fields: dict[str, Any]) -> int:
        response = client.post(f"/api/v1/articles/{article}/comments", json=fields)
        if response.status_code not in (201, 202):
            raise BenchError(f"submission to {article} got {response.status_code}: {response.get_data(True)}")
        statuses[response.json["status"]] = statuses.get(response.json["status"], 0) + 1
        return response.json["id"]

    def moderate(comment_id: int, action: str) -> None:
        if action == "approve" and statuses.get("approved") and is_approved(comment_id):
            return  # policy approved it at once (a returning author, say)
        response = client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": action}, headers=auth)
        if response.status_code != 200:
            raise BenchError(f"{action} {comment_id} got {response.status_code}: {response.get_data(True)}")

    def is_approved(comment_id: int) -> bool:
        response = client.get("/api/v1/moderation/queue?status=approved&limit=200", headers=auth)
        return any(row["id"] == comment_id for row in response.json["comments"])

    approved: list[int] = []
    for index in range(APPROVED_ON_ARTICLE):
        fields = comment_fields(index)
        if index % 7 == 3 and approved:  # some replies, to approved comments only
            fields["parent_id"] = approved[index // 2 % len(approved)]
        comment_id = submit(ARTICLE, fields)
        moderate(comment_id, "approve")
        approved.append(comment_id)
    # Noise that the public list must not show: pending, rejected and spam on the same article.
    submit(ARTICLE, comment_fields(900))
    moderate(submit(ARTICLE, comment_fields(901)), "reject")
    submit(ARTICLE, {**comment_fields(902), "hp": "http://bot.example"})
    others = 0
    for number, article in enumerate(OTHER_ARTICLES):
        for index in range(5):
            comment_id = submit(article, comment_fields(100 * (number + 1) + index))
            if index < 3:
                moderate(comment_id, "approve")
            others += 1
    listing = client.get(LIST_PATH)
    if listing.status_code != 200 or listing.json["count"] != APPROVED_ON_ARTICLE:
        raise BenchError(f"the article does not list {APPROVED_ON_ARTICLE} comments: {listing.get_data(True)[:300]}")
    engine.dispose()
    return url, {"approved_on_article": APPROVED_ON_ARTICLE, "replies": sum(1 for c in listing.json["comments"]
                                                                          if c["parent_id"]),
                 "hidden_on_article": 3, "comments_on_other_articles": others,
                 "other_articles": list(OTHER_ARTICLES), "list_body_bytes": len(listing.get_data()),
                 "submission_statuses": statuses}


# ------------------------------------------------------------------------- SQL count


def count_sql(url: str, secret: str) -> dict[str, Any]:
    """SQL statements per GET, in-process, on a fresh app: cold (first) and warm."""
    from sqlalchemy import event

    from moderation import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT": "0"})
    engine = app.extensions["moderation.engine"]
    statements: list[str] = []
    sqlite_statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        # What actually reaches SQLite, including what SQLAlchemy does not route through a cursor.
        dbapi_connection.set_trace_callback(lambda sql: sqlite_statements.append(" ".join(sql.split())))

    client = app.test_client()

    def measure(label: str, path: str, headers: dict[str, str] | None = None,
                expect: int = 200) -> tuple[dict[str, Any], Any]:
        statements.clear()
        sqlite_statements.clear()
        response = client.get(path, headers=headers or {})
        if response.status_code != expect:
            raise BenchError(f"{label}: expected {expect}, got {response.status_code}")
        # Counted where SQLite sees them: that includes the hot path's own driver connection.
        queries = [s for s in sqlite_statements if not re.match(r"(BEGIN|COMMIT|ROLLBACK|PRAGMA)\b", s, re.I)]
        return {"label": label, "status": response.status_code, "statements": len(statements),
                "queries": len(queries), "statement_texts": list(statements),
                "reaching_sqlite": len([s for s in sqlite_statements if not s.upper().startswith("PRAGMA")]),
                "reaching_sqlite_texts": list(sqlite_statements)}, response

    results = []
    row, first = measure("GET 200 cold (first request of a fresh app)", LIST_PATH)
    results.append(row)
    row, _ = measure("GET 200 warm", LIST_PATH)
    results.append(row)
    etag = first.headers["ETag"]
    row, _ = measure("GET 304 (If-None-Match)", LIST_PATH, {"If-None-Match": etag}, expect=304)
    results.append(row)
    row, page1 = measure("GET page 1 ?limit=20 cold", f"{LIST_PATH}?limit=20")
    results.append(row)
    cursor = page1.json["next"]
    if not cursor:
        raise BenchError("page 1 of 20 gave no `next` cursor")
    page2 = f"{LIST_PATH}?limit=20&after={cursor}"
    row, _ = measure("GET page 2 ?limit=20&after=<cursor> cold", page2)
    results.append(row)
    row, _ = measure("GET page 2 ?limit=20&after=<cursor> warm", page2)
    results.append(row)
    row, _ = measure("GET page 2 + If-None-Match (304)", page2, {"If-None-Match": etag}, expect=304)
    results.append(row)
    engine.dispose()
    worst = max(r["statements"] for r in results)
    worst_queries = max(r["queries"] for r in results)
    return {"requests": results, "max_statements_per_get": worst, "max_queries_per_get": worst_queries,
            "target": TARGETS["sql_per_get"],
            "meets_target_statements": worst <= TARGETS["sql_per_get"],
            "meets_target_queries": worst_queries <= TARGETS["sql_per_get"]}


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """One gunicorn, started with the shared settings and stopped however the run ends."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], tmp: Path) -> None:
        self.name, self.port = name, free_port()
        self.log_path = tmp / f"{name}.log"
        self.command = [str(VENV_BIN / "gunicorn"), *GUNICORN_SETTINGS, "--bind", f"{HOST}:{self.port}", app_spec]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str, seconds: float = 30) -> None:
        """Poll path until it answers 200 (bounded)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if request("GET", self.port, path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} gunicorn not ready after {seconds}s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"{self.name} gunicorn died ({self.process.returncode}):\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU used so far by the master and its (long-lived) workers."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the ")": state ppid ... utime is field 14 of stat, i.e. index 11 here.
            if entry.name == str(self.process.pid) or fields[1] == str(self.process.pid):
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers), SIGKILL if it does not go in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def request(method: str, port: int, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    """One HTTP request to 127.0.0.1:port; (status, headers, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name.lower()), None)


# ------------------------------------------------------------------------------ wrk


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when missing (waits out a held apt lock)."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found; apt-get install -y wrk")
    for attempt in range(12):
        result = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, text=True, timeout=300,
                                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if result.returncode == 0 and shutil.which("wrk"):
            return shutil.which("wrk")  # type: ignore[return-value]
        if "lock" in result.stderr.lower():
            log(f"apt lock held; retry {attempt + 1}/12 in 10s")
            time.sleep(10)
            continue
        subprocess.run(["apt-get", "update"], capture_output=True, timeout=300)
    raise BenchError("could not install wrk (apt-get install -y wrk)")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50/p90/p99 latency, totals, errors and status counts from wrk --latency."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if not rps or not total:
        raise BenchError(f"cannot read wrk output:\n{output}")
    percentiles = {f"p{p}": to_ms(value) for p, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    statuses = re.search(r"^STATUS_COUNTS (\{.*\})$", output, re.M)
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": percentiles.get("p50"), "p90_ms": percentiles.get("p90"), "p99_ms": percentiles.get("p99"),
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups())))
        if errors else {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "statuses": json.loads(statuses.group(1)) if statuses else {},
    }


def run_wrk(wrk: str, settings: dict[str, Any], server: Server, url: str, mode: str, nonce: str,
            extra_headers: dict[str, str], duration: int) -> dict[str, Any]:
    command = [wrk, f"-t{settings['threads']}", f"-c{settings['connections']}", f"-d{duration}s",
               f"--timeout={settings['timeout_s']}s", "--latency", "-s", str(BENCH / "wrk.lua")]
    for name, value in extra_headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    env = {**os.environ, "WRK_MODE": mode, "WRK_NONCE": nonce}
    server_cpu = server.cpu_seconds()
    wrk_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=duration + 30)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = server.cpu_seconds() - server_cpu
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr}\n{result.stdout}")
    parsed = parse_wrk(result.stdout)
    wrk_cpu = (wrk_after.ru_utime - wrk_usage.ru_utime) + (wrk_after.ru_stime - wrk_usage.ru_stime)
    parsed["server_cpu_s"] = round(server_cpu, 2)
    parsed["wrk_cpu_s"] = round(wrk_cpu, 2)
    parsed["server_cpu_ms_per_request"] = round(server_cpu * 1000 / parsed["requests"], 3) if parsed["requests"] else None
    parsed["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    parsed["raw"] = result.stdout
    return parsed


# ----------------------------------------------------------------------------- info


def machine_info() -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(command: list[str]) -> str:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=10)
            return (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "unknown"

    from importlib.metadata import version as package_version

    return {
        "nproc": int(nproc) if (nproc := version(["nproc"])).isdigit() else os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gunicorn": package_version("gunicorn"),
        "flask": package_version("flask"),
        "werkzeug": package_version("werkzeug"),
        "sqlalchemy": package_version("sqlalchemy"),
        "wrk": version(["wrk", "--version"]),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------------------- report


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for scenario in SCENARIOS:
        runs = [r[scenario] for r in rounds]
        statuses: dict[str, int] = {}
        for run in runs:
            for status, n in run["statuses"].items():
                statuses[status] = statuses.get(status, 0) + n
        expected = str(EXPECTED_STATUS[scenario])
        summary[scenario] = {
            "rps_median": round(median([r["rps"] for r in runs]), 1),
            "p50_ms_median": round(median([r["p50_ms"] for r in runs]), 2),
            "p99_ms_median": round(median([r["p99_ms"] for r in runs]), 2),
            "server_cpu_ms_per_request_median": round(median([r["server_cpu_ms_per_request"] for r in runs]), 3),
            "rps_rounds": [r["rps"] for r in runs],
            "p50_ms_rounds": [r["p50_ms"] for r in runs],
            "p99_ms_rounds": [r["p99_ms"] for r in runs],
            "statuses": statuses,
            "unexpected_status": sum(n for s, n in statuses.items() if s != expected),
            "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs),
            "socket_errors": {k: sum(r["socket_errors"][k] for r in runs) for k in ("connect", "read", "write",
                                                                                     "timeout")},
        }
    return summary


def ratios(summary: dict[str, Any], rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    ceiling = summary["ceiling"]["rps_median"]
    out = {}
    for key, scenario in (("get_vs_ceiling", "get"), ("not_modified_vs_ceiling", "not_modified")):
        value = summary[scenario]["rps_median"] / ceiling if ceiling else float("nan")
        per_round = [r[scenario]["rps"] / r["ceiling"]["rps"] for r in rounds if r["ceiling"]["rps"]]
        out[key] = {"ratio_of_medians": round(value, 3), "per_round": [round(x, 3) for x in per_round],
                    "median_of_per_round": round(median(per_round), 3),
                    "target": TARGETS[key], "meets_target": value >= TARGETS[key]}
        # The same comparison by server CPU per request: less sensitive to CPU taken by other work.
        cpu = summary[scenario]["server_cpu_ms_per_request_median"]
        out[key]["cpu_cost_ratio"] = round(summary["ceiling"]["server_cpu_ms_per_request_median"] / cpu, 3) if cpu \
            else None
    return out


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def write_markdown(result: dict[str, Any], path: Path) -> None:
    info, settings, summary = result["machine"], result["settings"], result["summary"]
    lines = [
        "# Public API load benchmark",
        "",
        f"Recorded {result['date_utc']} by `bench/api_bench.py`. Re-run from the project root with:",
        "",
        "    .venv/bin/python bench/api_bench.py",
        "",
        "(it installs Debian's `wrk` if missing, builds a throw-away SQLite database through the real app, "
        "and takes about three minutes). The raw numbers of this run are in `api.json` beside this file.",
        "",
        "## Machine",
        "",
        f"- {info['nproc']} CPUs: {info['cpu_model']} (kernel {info['kernel']}); shared with other work, "
        f"load average at start {info['load_avg_at_start']}, so absolute numbers are noisy — compare the ratios.",
        f"- Python {info['python']}, gunicorn {info['gunicorn']}, Flask {info['flask']}, "
        f"Werkzeug {info['werkzeug']}, SQLAlchemy {info['sqlalchemy']}, {info['wrk']}",
        "",
        "## Settings",
        "",
        f"- Both servers: `gunicorn {' '.join(settings['gunicorn'])} --bind 127.0.0.1:<free port> <app>`; "
        "the service as `app:app` with `MODERATION_DATABASE_URL=sqlite:///<tmp>/bench.sqlite3`, "
        "`MODERATION_SECRET_KEY=<random>`, `MODERATION_RATELIMIT=0`; the ceiling as `bench.ceiling:app`.",
        f"- Load: `wrk -t{settings['wrk']['threads']} -c{settings['wrk']['connections']} "
        f"-d{settings['wrk']['duration_s']}s --timeout={settings['wrk']['timeout_s']}s --latency -s bench/wrk.lua`, "
        f"{settings['rounds']} rounds, scenarios interleaved and the order rotated each round "
        f"({'; '.join(' → '.join(o) for o in settings['orders'])}), after a "
        f"{settings['warmup_s']}s warm-up of each scenario.",
        f"- Data: {result['data']['approved_on_article']} approved comments on `{ARTICLE}` "
        f"({result['data']['replies']} of them replies; the listing is {result['data']['list_body_bytes']:,} bytes), "
        f"plus {result['data']['hidden_on_article']} pending/rejected/spam there and "
        f"{result['data']['comments_on_other_articles']} comments on other articles, all submitted with the test "
        "client and approved through the token API. POSTs go to `bench-post`, each body unique.",
        "",
        "## Results (medians over rounds)",
        "",
        "| scenario | requests/s | p50 latency | p99 latency | server CPU per request | per-round requests/s "
        "| statuses (all rounds) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for scenario in SCENARIOS:
        row = summary[scenario]
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(row["statuses"].items()))
        lines.append(f"| {SCENARIO_TITLES[scenario]} | {fmt(row['rps_median'])} | {fmt(row['p50_ms_median'], 2)} ms "
                     f"| {fmt(row['p99_ms_median'], 2)} ms | {fmt(row['server_cpu_ms_per_request_median'], 3)} ms "
                     f"| {', '.join(fmt(x) for x in row['rps_rounds'])} "
                     f"| {statuses} |")
    errors = {s: summary[s]["socket_errors"] for s in SCENARIOS if any(summary[s]["socket_errors"].values())}
    lines += ["", f"Socket errors reported by wrk: {errors or 'none'}. \"Server CPU per request\" is the user + "
              "system CPU of the gunicorn master and workers during the run (from /proc) divided by the requests "
              "wrk completed: unlike requests/s it does not drop when other work on the machine takes the CPU.",
              "", "## Ratios against the ceiling", "",
              "| ratio | requests/s (ratio of medians) | per round | by CPU per request | target | met? |",
              "|---|---:|---|---:|---:|---|"]
    for key, title in (("get_vs_ceiling", "GET 200 / ceiling"), ("not_modified_vs_ceiling", "GET 304 / ceiling")):
        ratio = result["ratios"][key]
        lines.append(f"| {title} | {ratio['ratio_of_medians']:.0%} | "
                     f"{', '.join(f'{x:.0%}' for x in ratio['per_round'])} | "
                     f"{'–' if ratio['cpu_cost_ratio'] is None else format(ratio['cpu_cost_ratio'], '.0%')} | "
                     f"≥ {ratio['target']:.0%} | "
                     f"{'yes' if ratio['meets_target'] else '**no**'} |")
    sql = result["sql"]
    lines += ["", "## SQL statements per GET (in-process, fresh app)", "",
              f"Target: at most {sql['target']} per GET. \"statements\" is everything SQLAlchemy sent through a cursor "
              "(including the `BEGIN` the SQLite engine issues at the start of each read transaction); "
              "\"reaching SQLite\" is the sqlite3 trace callback on every connection, the hot path's own "
              "driver connection included (it also sees the pool's `ROLLBACK` on check-in; PRAGMAs left out); "
              "\"queries\" is what reaches SQLite less transaction control.", "",
              "| request | status | statements | queries | reaching SQLite | what |", "|---|---:|---:|---:|---:|---|"]
    for row in sql["requests"]:
        what = "; ".join(re.sub(r"\s+", " ", s)[:70] for s in row["reaching_sqlite_texts"]
                         if not s.upper().startswith("PRAGMA"))
        lines.append(f"| {row['label']} | {row['status']} | {row['statements']} | {row['queries']} | "
                     f"{row['reaching_sqlite']} | {what.replace('|', '/')} |")
    lines += ["", f"Most per GET: {sql['max_statements_per_get']} statements "
              f"({'meets' if sql['meets_target_statements'] else 'misses'} the target), "
              f"{sql['max_queries_per_get']} queries "
              f"({'meets' if sql['meets_target_queries'] else 'misses'} the target).", ""]
    if result.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in result["notes"]] + [""]
    path.write_text("\n".join(lines))


# ------------------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for api.json and api.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server logs)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 10 or not 1 <= args.duration <= 60 or not 0 <= args.warmup <= 10:
        parser.error("keep --rounds 1-10, --duration 1-60, --warmup 0-10 (the run must stay short)")

    # A SIGTERM (a CI timeout, say) still runs the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    wrk = ensure_wrk()
    info = machine_info()
    settings = {"gunicorn": GUNICORN_SETTINGS, "rounds": args.rounds, "warmup_s": args.warmup,
                "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                        "timeout_s": 5}}
    tmp = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    servers: list[Server] = []
    try:
        secret = "bench-" + secrets.token_urlsafe(32)
        log(f"building the database in {tmp}")
        url, data = build_database(tmp, secret)
        log("counting SQL statements per GET")
        sql = count_sql(url, secret)

        env = {**os.environ, "MODERATION_DATABASE_URL": url, "MODERATION_SECRET_KEY": secret,
               "MODERATION_RATELIMIT": "0"}
        for key in ("MODERATION_RATELIMIT_STORAGE", "MODERATION_TRUSTED_PROXIES", "MODERATION_ALLOWED_ORIGINS"):
            env.pop(key, None)
        service = Server("service", "app:app", env, tmp)
        servers.append(service)
        service.wait_ready("/healthz")

        status, headers, body = request("GET", service.port, LIST_PATH)
        if status != 200 or json.loads(body)["count"] != APPROVED_ON_ARTICLE:
            raise BenchError(f"the real server's listing is wrong: {status} {body[:300]!r}")
        etag = header(headers, "ETag")
        if not etag:
            raise BenchError("the listing has no ETag")
        status_304, _, body_304 = request("GET", service.port, LIST_PATH, {"If-None-Match": etag})
        if status_304 != 304 or body_304:
            raise BenchError(f"If-None-Match {etag} got {status_304} (expected an empty 304)")
        probe = json.dumps({"name": "Bench probe", "email": "probe@example.org", "body": "Probe comment."}).encode()
        status_post, _, body_post = request("POST", service.port, POST_PATH, {"Content-Type": "application/json"},
                                            probe)
        if status_post != 202:
            raise BenchError(f"a valid POST got {status_post}: {body_post[:300]!r}")

        canned = {"status": status, "headers": [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP],
                  "body_b64": base64.b64encode(body).decode()}
        canned_path = tmp / "ceiling-response.json"
        canned_path.write_text(json.dumps(canned))
        ceiling = Server("ceiling", "bench.ceiling:app", {**os.environ, "BENCH_CEILING_RESPONSE": str(canned_path)},
                         tmp)
        servers.append(ceiling)
        ceiling.wait_ready(LIST_PATH)
        c_status, c_headers, c_body = request("GET", ceiling.port, LIST_PATH)
        if c_status != 200 or c_body != body:
            raise BenchError("the ceiling does not serve the same bytes")
        same_headers = sorted((k.lower(), v) for k, v in c_headers if k.lower() not in HOP_BY_HOP) == sorted(
            (k.lower(), v) for k, v in canned["headers"])
        if not same_headers:
            raise BenchError(f"the ceiling's headers differ: {c_headers} vs {canned['headers']}")

        targets = {
            "get": (service, f"{service.url}{LIST_PATH}", "get", {}),
            "not_modified": (service, f"{service.url}{LIST_PATH}", "get", {"If-None-Match": etag}),
            "post": (service, f"{service.url}{POST_PATH}", "post", {}),
            "ceiling": (ceiling, f"{ceiling.url}{LIST_PATH}", "get", {}),
        }
        run_id = secrets.token_hex(4)
        if args.warmup:
            log(f"warm-up: {args.warmup}s per scenario")
            for scenario in SCENARIOS:
                server_, url_, mode, extra = targets[scenario]
                run_wrk(wrk, settings["wrk"], server_, url_, mode, f"{run_id}-warm", extra, args.warmup)
        rounds: list[dict[str, dict[str, Any]]] = []
        orders = []
        for number in range(args.rounds):
            order = SCENARIOS[number % len(SCENARIOS):] + SCENARIOS[: number % len(SCENARIOS)]
            orders.append(list(order))
            results: dict[str, dict[str, Any]] = {}
            for scenario in order:
                server_, url_, mode, extra = targets[scenario]
                results[scenario] = run_wrk(wrk, settings["wrk"], server_, url_, mode, f"{run_id}-{number}", extra,
                                            args.duration)
                service.check_alive()
                ceiling.check_alive()
                log(f"round {number + 1}/{args.rounds} {scenario:>12}: {results[scenario]['rps']:8.1f} req/s, "
                    f"p50 {results[scenario]['p50_ms']} ms, p99 {results[scenario]['p99_ms']} ms, "
                    f"server CPU {results[scenario]['server_cpu_ms_per_request']} ms/req, wrk CPU {results[scenario]['wrk_cpu_s']}s, "
                    f"statuses {results[scenario]['statuses']}")
            # The ETag must not have moved: POSTs to another article leave this one alone.
            recheck = request("GET", service.port, LIST_PATH, {"If-None-Match": etag})[0]
            if recheck != 304:
                raise BenchError(f"after round {number + 1} the ETag no longer matches ({recheck})")
            rounds.append(results)
        settings["orders"] = orders

        summary = summarize(rounds)
        notes = []
        for scenario in SCENARIOS:
            if summary[scenario]["unexpected_status"]:
                notes.append(f"{scenario}: {summary[scenario]['unexpected_status']} responses were not "
                             f"{EXPECTED_STATUS[scenario]} ({summary[scenario]['statuses']}).")
        result = {
            "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": ".venv/bin/python bench/api_bench.py",
            "machine": {**info, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
            "settings": settings,
            "data": data,
            "summary": summary,
            "ratios": ratios(summary, rounds),
            "targets": TARGETS,
            "sql": sql,
            "rounds": [{s: {k: v for k, v in run.items()} for s, run in r.items()} for r in rounds],
            "notes": notes,
            "elapsed_s": round(time.monotonic() - started, 1),
        }
        args.results.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result, indent=2)
        (args.results / "api.json").write_text(text + "\n")
        write_markdown(result, args.results / "api.md")
        print(text)
        log(f"done in {result['elapsed_s']}s; wrote {args.results / 'api.md'} and api.json")
        return 0
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
