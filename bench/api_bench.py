"""Load benchmark of the public comments API, measured against a same-run "ceiling".

Run from the project root:  .venv/bin/python bench/api_bench.py   (about 5 minutes)

What it does (everything on 127.0.0.1, every loop bounded, servers always stopped):
1. Makes a temporary SQLite database through the real app: schema, a moderator and a
   token from the CLI commands, 50 comments on `bench-article` submitted with the test
   client and approved through the token API, and a few comments on other articles.
2. Starts three gunicorns (2 sync workers each), every one pinned to the server core
   with `taskset`: the service with the rate limit on (a limit too large to refuse the
   load, so every POST does the limiter's counting in the database), the service with
   the rate limit off, and `bench/ceiling.py`: bare Flask returning, from memory, the
   exact body and headers the real server gave for the 50-comment article.
3. Runs wrk pinned to the load core, one thread, at 32 connections and at 1, interleaved
   over several rounds: GET the article (200), the same with If-None-Match (304), POST a
   new comment with the rate limit on and with it off (202), and the ceiling.
4. Counts SQL statements per GET in-process (cold and warm; 200, 304, page 2).
5. Prints a JSON summary and writes bench/results/api.json and bench/results/api.md
   (marked as a smoke run when shorter than the defaults).

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
import sqlite3
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
# Judged at the largest connection count (32 by default), against the ceiling of the same run.
TARGETS = {"get_vs_ceiling": 0.65, "not_modified_vs_ceiling": 1.20, "sql_per_get": 2}
TARGET_SCENARIOS = {"get_vs_ceiling": "get", "not_modified_vs_ceiling": "not_modified"}
SCENARIOS = ("get", "not_modified", "post_limited", "post", "ceiling")
SCENARIO_TITLES = {
    "get": f"GET {LIST_PATH} (200, 50 comments)",
    "not_modified": f"GET {LIST_PATH} + If-None-Match (304)",
    "post_limited": f"POST {POST_PATH} (202, new comment), rate limit on",
    "post": f"POST {POST_PATH} (202, new comment), rate limit off",
    "ceiling": "ceiling: bare Flask, same bytes from memory",
}
EXPECTED_STATUS = {"get": 200, "not_modified": 304, "post_limited": 202, "post": 202, "ceiling": 200}
# Rate limit on: large enough never to refuse the load (every client here is 127.0.0.1), and no
# flood interval, so every POST does the limiter's counting (an upsert in the database) and gets 202.
RATELIMIT_ON = {"MODERATION_RATELIMIT": "100000/minute", "MODERATION_FLOOD_SECONDS": "0"}
RATELIMIT_OFF = {"MODERATION_RATELIMIT": "0"}
DEFAULT_CONNECTIONS = (32, 1)
DEFAULT_DURATION = 8
DEFAULT_ROUNDS = 3
WRK_THREADS = 1
WRK_TIMEOUT_S = 5
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
    from moderation.shared import of
    from moderation.store.database import create_schema

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT": "0"})
    engine = of(app).engine
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
    from moderation.shared import of

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT": "0"})
    engine = of(app).engine
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
    # The hot path's own lookup (article version → opaque ETag) counts its executions.
    versions = of(app).versions

    def measure(label: str, path: str, headers: dict[str, str] | None = None,
                expect: int = 200) -> tuple[dict[str, Any], Any]:
        statements.clear()
        sqlite_statements.clear()
        lookups = versions.executions
        response = client.get(path, headers=headers or {})
        if response.status_code != expect:
            raise BenchError(f"{label}: expected {expect}, got {response.status_code}")
        # Counted where SQLite sees them: that includes the hot path's own driver connection.
        queries = [s for s in sqlite_statements if not re.match(r"(BEGIN|COMMIT|ROLLBACK|PRAGMA)\b", s, re.I)]
        return {"label": label, "status": response.status_code, "statements": len(statements),
                "queries": len(queries), "statement_texts": list(statements),
                "hot_path_lookups": versions.executions - lookups,
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
    """One gunicorn pinned to one core, started with the shared settings and stopped however the run ends."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], tmp: Path, core: int,
                 cwd: Path = ROOT) -> None:
        self.name, self.port, self.core = name, free_port(), core
        self.log_path = tmp / f"{name}.log"
        # taskset execs gunicorn, so the process we hold is gunicorn's master; workers inherit the core.
        self.command = ["taskset", "-c", str(core), str(VENV_BIN / "gunicorn"), *GUNICORN_SETTINGS,
                        "--bind", f"{HOST}:{self.port}", app_spec]
        self._log = open(self.log_path, "wb")
        # A session of its own, so stop() can signal the whole group (master and workers).
        self.process = subprocess.Popen(self.command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

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

    def workers(self) -> list[int]:
        """The pids of the master's children (its workers), from /proc."""
        return [pid for pid, fields in proc_stats() if fields[1] == str(self.process.pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU used so far by the master and its (long-lived) workers."""
        tick = os.sysconf("SC_CLK_TCK")
        master = str(self.process.pid)
        # After the ")": state ppid ... utime is field 14 of stat, i.e. index 11 here.
        return sum((int(fields[11]) + int(fields[12])) / tick for pid, fields in proc_stats()
                   if str(pid) == master or fields[1] == master)

    def check_pinned(self) -> dict[str, str]:
        """Each process's allowed CPUs; BenchError unless all of them are this server's core only."""
        found = {str(pid): allowed_cpus(pid) for pid in (self.process.pid, *self.workers())}
        if len(found) < 3 or any(cpus != str(self.core) for cpus in found.values()):
            raise BenchError(f"{self.name}: expected master + 2 workers on CPU {self.core}, found {found}")
        return found

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the process group (master and workers), SIGKILL if it does not go in time."""
        if self.process.poll() is None:
            signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        # Workers left behind by a master that died first are in the same group.
        signal_group(self.process.pid, signal.SIGKILL)
        self._log.close()


def signal_group(pgid: int, number: int) -> None:
    """Signal a process group we started, if it still exists."""
    try:
        os.killpg(pgid, number)
    except (ProcessLookupError, PermissionError):
        pass


def proc_stats() -> list[tuple[int, list[str]]]:
    """(pid, the fields of /proc/<pid>/stat after the command name) for every process."""
    stats = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats.append((int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()))
            except OSError:
                continue
    return stats


def proc_status(pid: int, field: str) -> str | None:
    """One field of /proc/<pid>/status (VmRSS, Cpus_allowed_list…), or None when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def allowed_cpus(pid: int) -> str:
    return proc_status(pid, "Cpus_allowed_list") or "gone"


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
    return round(float(match.group(1)) * UNITS[match.group(2)], 3)


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


def run_wrk(wrk: str, load: dict[str, Any], server: Server, url: str, mode: str, nonce: str,
            extra_headers: dict[str, str], duration: int, connections: int) -> dict[str, Any]:
    """One wrk run pinned to the load core; its numbers, and the server's CPU during it."""
    command = ["taskset", "-c", str(load["core"]), wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s",
               f"--timeout={WRK_TIMEOUT_S}s", "--latency", "-s", str(BENCH / "wrk.lua")]
    for name, value in extra_headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    # The nonce makes every POST body of this run differ from every other run's (duplicates are 409).
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
    parsed["connections"] = connections
    parsed["server_cpu_s"] = round(server_cpu, 2)
    parsed["wrk_cpu_s"] = round(wrk_cpu, 2)
    requests = parsed["requests"]
    parsed["server_cpu_ms_per_request"] = round(server_cpu * 1000 / requests, 3) if requests else None
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


def run_key(scenario: str, connections: int) -> str:
    """How a (scenario, connection count) pair is named in the rounds and the summary."""
    return f"{scenario}@{connections}"


def summarize(rounds: list[dict[str, dict[str, Any]]], connections: list[int]) -> dict[str, Any]:
    """Medians over rounds, and status totals, for every scenario at every connection count."""
    summary: dict[str, Any] = {}
    for scenario in SCENARIOS:
        for count in connections:
            runs = [r[run_key(scenario, count)] for r in rounds]
            statuses: dict[str, int] = {}
            for run in runs:
                for status, n in run["statuses"].items():
                    statuses[status] = statuses.get(status, 0) + n
            expected = str(EXPECTED_STATUS[scenario])
            summary[run_key(scenario, count)] = {
                "scenario": scenario, "connections": count,
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
                "socket_errors": {k: sum(r["socket_errors"][k] for r in runs)
                                  for k in ("connect", "read", "write", "timeout")},
            }
    return summary


def ratios(summary: dict[str, Any], rounds: list[dict[str, dict[str, Any]]], connections: list[int]) -> dict[str, Any]:
    """Every scenario against the ceiling at the same connection count; the targets at the largest count."""
    by_run: dict[str, Any] = {}
    for scenario in SCENARIOS[:-1]:
        for count in connections:
            key, ceiling_key = run_key(scenario, count), run_key("ceiling", count)
            ceiling = summary[ceiling_key]["rps_median"]
            per_round = [r[key]["rps"] / r[ceiling_key]["rps"] for r in rounds if r[ceiling_key]["rps"]]
            # The same comparison by server CPU per request: less sensitive to CPU taken by other work.
            cpu = summary[key]["server_cpu_ms_per_request_median"]
            by_run[key] = {
                "ratio_of_medians": round(summary[key]["rps_median"] / ceiling, 3) if ceiling else None,
                "per_round": [round(x, 3) for x in per_round],
                "median_of_per_round": round(median(per_round), 3),
                "cpu_cost_ratio": round(summary[ceiling_key]["server_cpu_ms_per_request_median"] / cpu, 3)
                if cpu else None,
            }
    at = max(connections)
    targets = {}
    for name, scenario in TARGET_SCENARIOS.items():
        value = by_run[run_key(scenario, at)]["ratio_of_medians"]
        targets[name] = {"connections": at, "ratio_of_medians": value, "target": TARGETS[name],
                         "meets_target": value is not None and value >= TARGETS[name]}
    return {"by_run": by_run, "targets": targets}


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def write_markdown(result: dict[str, Any], path: Path) -> None:
    """The human-readable record of one run."""
    lines = markdown_head(result) + markdown_results(result) + markdown_sql(result["sql"])
    if result.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in result["notes"]] + [""]
    path.write_text("\n".join(lines))


def markdown_head(result: dict[str, Any]) -> list[str]:
    info, settings = result["machine"], result["settings"]
    load, rounds = settings["wrk"], settings["rounds"]
    smoke = ["**SMOKE RUN — not a result.** Shorter than the defaults (`" + result["command"] + "`); "
             "only checks that the benchmark works. Re-run with the defaults to record numbers.", ""] \
        if result["smoke"] else []
    return [
        "# Public API load benchmark", "", *smoke,
        f"Recorded {result['date_utc']} by `bench/api_bench.py`. Re-run from the project root with:", "",
        "    .venv/bin/python bench/api_bench.py", "",
        "(it builds a throw-away SQLite database through the real app and takes about "
        f"{estimate(DEFAULT_ROUNDS, len(DEFAULT_CONNECTIONS), DEFAULT_DURATION, 2) // 60 + 1} minutes). "
        "The raw numbers of this run are in "
        "`api.json` beside this file.", "",
        "## Machine", "",
        f"- {info['nproc']} CPUs: {info['cpu_model']} (kernel {info['kernel']}); shared with other work, "
        f"load average at start {info['load_avg_at_start']}, at end {info['load_avg_at_end']}, so absolute numbers "
        "are noisy — compare the ratios.",
        f"- Python {info['python']}, gunicorn {info['gunicorn']}, Flask {info['flask']}, "
        f"Werkzeug {info['werkzeug']}, SQLAlchemy {info['sqlalchemy']}, {info['wrk']}", "",
        "## Settings", "",
        f"- Every server: `taskset -c {settings['server_core']} gunicorn {' '.join(settings['gunicorn'])} "
        "--bind 127.0.0.1:<free port> <app>` (master and both workers checked to be on that one core); the "
        "service as `app:app` with `MODERATION_DATABASE_URL=sqlite:///<tmp>/bench.sqlite3` and "
        "`MODERATION_SECRET_KEY=<random>`, once with the rate limit on ("
        + ", ".join(f"`{k}={v}`" for k, v in RATELIMIT_ON.items()) + ": GET, 304 and POST rate limit on) and once "
        "with it off (`MODERATION_RATELIMIT=0`: POST rate limit off); the ceiling as `bench.ceiling:app`.",
        f"- Load: `taskset -c {load['core']} wrk -t{WRK_THREADS} -c<N> -d{load['duration_s']}s "
        f"--timeout={WRK_TIMEOUT_S}s --latency -s bench/wrk.lua` at N = "
        f"{' and '.join(str(c) for c in load['connections'])}, {rounds} round{'s' if rounds != 1 else ''}, "
        "scenarios interleaved and the order rotated each round "
        f"({'; '.join(' → '.join(o) for o in settings['orders'])}), after a "
        f"{settings['warmup_s']}s warm-up of each scenario.",
        f"- Data: {result['data']['approved_on_article']} approved comments on `{ARTICLE}` "
        f"({result['data']['replies']} of them replies; the listing is {result['data']['list_body_bytes']:,} bytes), "
        f"plus {result['data']['hidden_on_article']} pending/rejected/spam there and "
        f"{result['data']['comments_on_other_articles']} comments on other articles, all submitted with the test "
        "client and approved through the token API. POSTs go to `bench-post`, each body unique (a duplicate "
        "is 409). With the rate limit on, the limiter counts every POST in the database (`rate_counters` at "
        f"the end, the current one-minute window: {result['ratelimit_counters'] or 'none'}).", "",
    ]


def markdown_results(result: dict[str, Any]) -> list[str]:
    summary, by_run = result["summary"], result["ratios"]["by_run"]
    connections = result["settings"]["wrk"]["connections"]
    lines = ["## Results (medians over rounds)", "",
             "| scenario | connections | requests/s | p50 latency | p99 latency | server CPU per request "
             "| vs ceiling (requests/s) | vs ceiling (CPU per request) | per-round requests/s | statuses |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for scenario in SCENARIOS:
        for count in connections:
            row, ratio = summary[run_key(scenario, count)], by_run.get(run_key(scenario, count))
            statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(row["statuses"].items()))
            lines.append(
                f"| {SCENARIO_TITLES[scenario]} | {count} | {fmt(row['rps_median'])} "
                f"| {fmt(row['p50_ms_median'], 2)} ms | {fmt(row['p99_ms_median'], 2)} ms "
                f"| {fmt(row['server_cpu_ms_per_request_median'], 3)} ms "
                f"| {pct(ratio['ratio_of_medians']) if ratio else '100%'} "
                f"| {pct(ratio['cpu_cost_ratio']) if ratio else '100%'} "
                f"| {', '.join(fmt(x) for x in row['rps_rounds'])} | {statuses} |")
    errors = {k: v["socket_errors"] for k, v in summary.items() if any(v["socket_errors"].values())}
    lines += ["", f"Socket errors reported by wrk: {errors or 'none'}. \"Server CPU per request\" is the user + "
              "system CPU of the gunicorn master and workers during the run (from /proc) divided by the requests "
              "wrk completed: unlike requests/s it does not drop when other work on the machine takes the CPU. "
              "\"vs ceiling (CPU per request)\" is the ceiling's CPU per request divided by the scenario's.",
              "", f"## Targets (against the ceiling, {max(connections)} connections)", "",
              "| ratio | requests/s (ratio of medians) | per round | by CPU per request | target | met? |",
              "|---|---:|---|---:|---:|---|"]
    for name, scenario in TARGET_SCENARIOS.items():
        target = result["ratios"]["targets"][name]
        ratio = by_run[run_key(scenario, target["connections"])]
        lines.append(f"| {SCENARIO_TITLES[scenario]} / ceiling | {pct(target['ratio_of_medians'])} | "
                     f"{', '.join(pct(x) for x in ratio['per_round'])} | {pct(ratio['cpu_cost_ratio'])} | "
                     f"≥ {target['target']:.0%} | {'yes' if target['meets_target'] else '**no**'} |")
    return lines + [""]


def markdown_sql(sql: dict[str, Any]) -> list[str]:
    lines = ["## SQL statements per GET (in-process, fresh app)", "",
             f"Target: at most {sql['target']} per GET. \"statements\" is everything SQLAlchemy sent through a "
             "cursor (including the `BEGIN` the SQLite engine issues at the start of each read transaction); "
             "\"reaching SQLite\" is the sqlite3 trace callback on every connection, the hot path's own "
             "driver connection included (it also sees the pool's `ROLLBACK` on check-in; PRAGMAs left out); "
             "\"queries\" is what reaches SQLite less transaction control; \"hot-path lookups\" is what "
             "`moderation.versions` (the article version and ETag lookup) counted.", "",
             "| request | status | statements | queries | hot-path lookups | reaching SQLite | what |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in sql["requests"]:
        what = "; ".join(re.sub(r"\s+", " ", s)[:70] for s in row["reaching_sqlite_texts"]
                         if not s.upper().startswith("PRAGMA"))
        lines.append(f"| {row['label']} | {row['status']} | {row['statements']} | {row['queries']} | "
                     f"{row['hot_path_lookups']} | {row['reaching_sqlite']} | {what.replace('|', '/')} |")
    return lines + ["", f"Most per GET: {sql['max_statements_per_get']} statements "
                    f"({'meets' if sql['meets_target_statements'] else 'misses'} the target), "
                    f"{sql['max_queries_per_get']} queries "
                    f"({'meets' if sql['meets_target_queries'] else 'misses'} the target).", ""]


# ------------------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--duration", type=int, default=DEFAULT_DURATION, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, nargs="+", default=list(DEFAULT_CONNECTIONS),
                        help="wrk connection counts, each measured every round (targets: the largest)")
    parser.add_argument("--server-core", type=int, default=1, help="the CPU every gunicorn is pinned to")
    parser.add_argument("--load-core", type=int, default=0, help="the CPU wrk is pinned to")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for api.json and api.md")
    parser.add_argument("--smoke", action="store_true", help="mark the results as a smoke run whatever the settings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server logs)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 10 or not 1 <= args.duration <= 60 or not 0 <= args.warmup <= 10:
        parser.error("keep --rounds 1-10, --duration 1-60, --warmup 0-10 (the run must stay short)")
    if not 1 <= len(args.connections) <= 4 or not all(1 <= c <= 256 for c in args.connections):
        parser.error("give 1 to 4 --connections counts, each 1-256")
    usable = os.sched_getaffinity(0)
    if args.server_core == args.load_core or not {args.server_core, args.load_core} <= usable:
        parser.error(f"--server-core and --load-core must be two different CPUs of {sorted(usable)}")
    args.smoke = args.smoke or args.rounds < DEFAULT_ROUNDS or args.duration < DEFAULT_DURATION
    return args


def start_services(tmp: Path, url: str, secret: str, core: int) -> dict[str, Server]:
    """The service with the rate limit on and with it off, both ready."""
    env = {**os.environ, "MODERATION_DATABASE_URL": url, "MODERATION_SECRET_KEY": secret}
    for key in ("MODERATION_RATELIMIT_STORAGE", "MODERATION_TRUSTED_PROXIES", "MODERATION_ALLOWED_ORIGINS",
                "MODERATION_RATELIMIT", "MODERATION_FLOOD_SECONDS", "MODERATION_PAGE_CACHE_BYTES"):
        env.pop(key, None)
    services = {"limited": Server("service", "app:app", {**env, **RATELIMIT_ON}, tmp, core),
                "unlimited": Server("service-nolimit", "app:app", {**env, **RATELIMIT_OFF}, tmp, core)}
    for service in services.values():
        service.wait_ready("/healthz")
    return services


def check_service(services: dict[str, Server], db_path: Path) -> tuple[int, list[tuple[str, str]], bytes]:
    """The listing, its 304 and a POST on each service are what the scenarios expect; the listing."""
    service = services["limited"]
    status, headers, body = request("GET", service.port, LIST_PATH)
    if status != 200 or json.loads(body)["count"] != APPROVED_ON_ARTICLE:
        raise BenchError(f"the real server's listing is wrong: {status} {body[:300]!r}")
    etag = header(headers, "ETag")
    if not etag:
        raise BenchError("the listing has no ETag")
    status_304, _, body_304 = request("GET", service.port, LIST_PATH, {"If-None-Match": etag})
    if status_304 != 304 or body_304:
        raise BenchError(f"If-None-Match {etag} got {status_304} (expected an empty 304)")
    for name, server in services.items():
        probe = json.dumps({"name": "Bench probe", "email": "probe@example.org",
                            "body": f"Probe comment for the {name} service."}).encode()
        status_post, _, body_post = request("POST", server.port, POST_PATH, {"Content-Type": "application/json"},
                                            probe)
        if status_post != 202:
            raise BenchError(f"a valid POST to the {name} service got {status_post}: {body_post[:300]!r}")
    if not rate_counters(db_path):
        raise BenchError("a POST with the rate limit on left no counter in rate_counters")
    return status, headers, body


def rate_counters(db_path: Path) -> list[list[Any]]:
    """The rate-limit counters in the database now: [key, count] (read-only)."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return [list(row) for row in connection.execute("SELECT key, count FROM rate_counters ORDER BY key")]
    finally:
        connection.close()


def start_ceiling(tmp: Path, core: int, listing: tuple[int, list[tuple[str, str]], bytes]) -> Server:
    """The bare-Flask ceiling serving the captured listing, checked to give the same bytes and headers."""
    status, headers, body = listing
    canned = {"status": status, "headers": [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP],
              "body_b64": base64.b64encode(body).decode()}
    canned_path = tmp / "ceiling-response.json"
    canned_path.write_text(json.dumps(canned))
    ceiling = Server("ceiling", "bench.ceiling:app", {**os.environ, "BENCH_CEILING_RESPONSE": str(canned_path)},
                     tmp, core)
    ceiling.wait_ready(LIST_PATH)
    c_status, c_headers, c_body = request("GET", ceiling.port, LIST_PATH)
    if c_status != 200 or c_body != body:
        raise BenchError("the ceiling does not serve the same bytes")
    same_headers = sorted((k.lower(), v) for k, v in c_headers if k.lower() not in HOP_BY_HOP) == sorted(
        (k.lower(), v) for k, v in canned["headers"])
    if not same_headers:
        raise BenchError(f"the ceiling's headers differ: {c_headers} vs {canned['headers']}")
    return ceiling


def measure_rounds(args: argparse.Namespace, wrk: str, targets: dict[str, tuple[Server, str, str, dict[str, str]]],
                   servers: list[Server], etag_check: Any) -> tuple[list[dict[str, dict[str, Any]]], list[list[str]]]:
    """Warm up, then every (scenario, connection count) once per round, interleaved; the runs and orders."""
    load = {"core": args.load_core}
    run_id = secrets.token_hex(4)
    if args.warmup:
        log(f"warm-up: {args.warmup}s per scenario at {max(args.connections)} connections")
        for scenario in SCENARIOS:
            server_, url_, mode, extra = targets[scenario]
            run_wrk(wrk, load, server_, url_, mode, f"{run_id}-warm-{scenario}", extra, args.warmup,
                    max(args.connections))
    rounds: list[dict[str, dict[str, Any]]] = []
    orders = []
    for number in range(args.rounds):
        order = SCENARIOS[number % len(SCENARIOS):] + SCENARIOS[: number % len(SCENARIOS)]
        counts = args.connections if number % 2 == 0 else args.connections[::-1]
        orders.append([run_key(s, c) for s in order for c in counts])
        results: dict[str, dict[str, Any]] = {}
        for scenario in order:
            server_, url_, mode, extra = targets[scenario]
            for count in counts:
                key = run_key(scenario, count)
                results[key] = run = run_wrk(wrk, load, server_, url_, mode, f"{run_id}-{number}-{key}", extra,
                                             args.duration, count)
                for server in servers:
                    server.check_alive()
                log(f"round {number + 1}/{args.rounds} {key:>16}: {run['rps']:8.1f} req/s, p50 {run['p50_ms']} ms, "
                    f"p99 {run['p99_ms']} ms, server CPU {run['server_cpu_ms_per_request']} ms/req, "
                    f"wrk CPU {run['wrk_cpu_s']}s, statuses {run['statuses']}")
        etag_check(number)
        rounds.append(results)
    return rounds, orders


def estimate(rounds: int, connection_counts: int, duration: int, warmup: int) -> int:
    """Seconds a run takes: the wrk runs, the warm-up, and about 30 s to build and start."""
    return rounds * len(SCENARIOS) * connection_counts * duration + len(SCENARIOS) * warmup + 30


def main() -> int:
    args = parse_args()
    # A SIGTERM (a CI timeout, say) still runs the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    wrk = ensure_wrk()
    info = machine_info()
    estimated = estimate(args.rounds, len(args.connections), args.duration, args.warmup)
    log(f"about {estimated}s: {args.rounds} round(s) × {len(SCENARIOS)} scenarios × "
        f"{len(args.connections)} connection counts × {args.duration}s" + (" — SMOKE RUN" if args.smoke else ""))
    settings = {"gunicorn": GUNICORN_SETTINGS, "server_core": args.server_core, "rounds": args.rounds,
                "warmup_s": args.warmup,
                "wrk": {"core": args.load_core, "threads": WRK_THREADS, "connections": args.connections,
                        "duration_s": args.duration, "timeout_s": WRK_TIMEOUT_S}}
    tmp = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    servers: list[Server] = []
    try:
        secret = "bench-" + secrets.token_urlsafe(32)
        log(f"building the database in {tmp}")
        url, data = build_database(tmp, secret)
        db_path = tmp / "bench.sqlite3"
        log("counting SQL statements per GET")
        sql = count_sql(url, secret)

        services = start_services(tmp, url, secret, args.server_core)
        servers += services.values()
        listing = check_service(services, db_path)
        ceiling = start_ceiling(tmp, args.server_core, listing)
        servers.append(ceiling)
        settings["pinning"] = {server.name: server.check_pinned() for server in servers}
        etag = header(listing[1], "ETag") or ""
        service = services["limited"]
        targets = {
            "get": (service, f"{service.url}{LIST_PATH}", "get", {}),
            "not_modified": (service, f"{service.url}{LIST_PATH}", "get", {"If-None-Match": etag}),
            "post_limited": (service, f"{service.url}{POST_PATH}", "post", {}),
            "post": (services["unlimited"], f"{services['unlimited'].url}{POST_PATH}", "post", {}),
            "ceiling": (ceiling, f"{ceiling.url}{LIST_PATH}", "get", {}),
        }

        def etag_check(number: int) -> None:
            # The ETag must not have moved: POSTs to another article leave this one alone.
            recheck = request("GET", service.port, LIST_PATH, {"If-None-Match": etag})[0]
            if recheck != 304:
                raise BenchError(f"after round {number + 1} the ETag no longer matches ({recheck})")

        rounds, settings["orders"] = measure_rounds(args, wrk, targets, servers, etag_check)
        result = record(args, info, settings, data, sql, rounds, rate_counters(db_path), started, estimated)
        print(json.dumps(result, indent=2))
        for name, target in result["ratios"]["targets"].items():
            log(f"{name} at {target['connections']} connections: {pct(target['ratio_of_medians'])} "
                f"(target ≥ {target['target']:.0%}): {'PASS' if target['meets_target'] else 'FAIL'}")
        for note in result["notes"]:
            log(f"NOTE: {note}")
        log(f"done in {result['elapsed_s']}s; wrote {args.results / 'api.md'} and api.json"
            + (" (marked as a smoke run)" if args.smoke else ""))
        return 1 if result["notes"] else 0
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def record(args: argparse.Namespace, info: dict[str, Any], settings: dict[str, Any], data: dict[str, Any],
           sql: dict[str, Any], rounds: list[dict[str, dict[str, Any]]], counters: list[list[Any]],
           started: float, estimated: int) -> dict[str, Any]:
    """Summarize the rounds and write api.json and api.md; the result."""
    summary = summarize(rounds, args.connections)
    notes = [f"{key}: {row['unexpected_status']} responses were not {EXPECTED_STATUS[row['scenario']]} "
             f"({row['statuses']})." for key, row in summary.items() if row["unexpected_status"]]
    result = {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([".venv/bin/python bench/api_bench.py", *sys.argv[1:]]).strip(),
        "smoke": args.smoke,
        "estimated_s": estimated,
        "machine": {**info, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "settings": settings,
        "data": data,
        "summary": summary,
        "ratios": ratios(summary, rounds, args.connections),
        "targets": TARGETS,
        "sql": sql,
        "ratelimit_counters": counters,
        "rounds": rounds,
        "notes": notes,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "api.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, args.results / "api.md")
    return result


if __name__ == "__main__":
    sys.exit(main())
