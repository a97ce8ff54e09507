"""The page-cache attack: a worker's memory while one client varies `limit` and the cursor.

Run from the project root:  .venv/bin/python bench/cache_attack_bench.py   (about 2 minutes)
Against another checkout:   .venv/bin/python bench/cache_attack_bench.py --code /tmp/base --label "before"

Each gunicorn worker keeps the public pages it rendered, keyed by (article, version, limit,
cursor). Until aea5ecf that cache held 512 pages whatever their size, so asking for one large
article with every `limit` and cursor filled a worker with big pages; now it is bounded in
bytes (MODERATION_PAGE_CACHE_BYTES, 8 MiB by default, moderation/pagecache.py).

What it does (everything on 127.0.0.1, every loop bounded, the server always stopped):
1. In a child process importing the checkout under test (`--code`, default this one), builds
   a SQLite database through that app: one article with 1,000 comments of ~4,000 characters,
   submitted with its test client and approved through its token API.
2. Starts gunicorn (2 sync workers) on it, pinned to the server core with `taskset`; this
   process and its client threads run on the load core.
3. Takes each worker's RSS (VmRSS of the master's children), then attacks for at most
   `--seconds` or `--requests`: GET the article with a random limit=1..200, from the start
   or from a cursor an earlier page gave, following `next` a few pages deep; RSS every second.
4. Writes the run, under its label, into bench/results/cache_attack.json and .md (runs with
   other labels stay there, so "before" and "after" sit side by side).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import api_bench
from api_bench import HOST, ROOT, BenchError, Server, log, proc_status

RESULTS = ROOT / "bench" / "results"
ARTICLE = "attack-article"
LIST_PATH = f"/api/v1/articles/{ARTICLE}/comments"
MAX_LIMIT = 200
DEFAULT_SECONDS = 60
DEFAULT_REQUESTS = 40_000
NEXT_AT_END = re.compile(rb'"next":(?:null|"([^"]+)")\}\s*$')
WORDS = ("the argument in the second section turns on a detail that is easy to miss and I read it twice "
         "before the example with three cases made sense but the fourth case with an empty input seems "
         "to need a different rule café naïve résumé über river stone window careful quiet reading").split()


# ----------------------------------------------------------------------------- data (child process)


def comment_body(index: int, chars: int) -> str:
    """About `chars` characters of plain prose in paragraphs, different for every index."""
    rnd = random.Random(index)
    paragraphs, length = [], 0
    while length < chars:
        paragraph = f"Comment {index}: " + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(60, 110))) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:chars].rstrip()


def build_database(url: str, secret: str, comments: int, chars: int) -> dict[str, Any]:
    """Fill a new database through the app found first on sys.path; a summary of what it made."""
    import moderation
    from moderation import create_app
    from moderation.shared import of
    from moderation.store.database import create_schema

    started = time.monotonic()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT": "0"})
    create_schema(of(app).engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-moderator", "attack-mod", "--password-stdin"],
                           input="attack-password-" + secrets.token_hex(8) + "\n")
    token = runner.invoke(args=["create-token", "attack-mod"]).output.strip().splitlines()[-1]
    if result.exit_code != 0 or not token:
        raise BenchError(f"could not make a moderator and a token: {result.output}")
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    for index in range(comments):
        fields = {"name": f"Reader {index % 40}", "email": f"reader{index % 40}@example.org",
                  "body": comment_body(index, chars)}
        response = client.post(LIST_PATH, json=fields)
        if response.status_code == 202:
            response = client.post(f"/api/v1/moderation/comments/{response.json['id']}", json={"action": "approve"},
                                   headers=auth)
        if response.status_code not in (200, 201):
            raise BenchError(f"comment {index}: {response.status_code} {response.get_data(True)[:300]}")
    page = client.get(f"{LIST_PATH}?limit={MAX_LIMIT}")
    if page.status_code != 200 or page.json["count"] != comments:
        raise BenchError(f"the article does not list {comments} comments: {page.get_data(True)[:300]}")
    of(app).engine.dispose()
    return {"moderation_package": str(Path(moderation.__file__).parent), "comments": comments,
            "body_chars": chars, "page_bytes_at_limit_200": len(page.get_data()),
            "build_s": round(time.monotonic() - started, 1)}


def build_in_child(code: Path, db_path: Path, secret: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run build_database in a child process that imports the service from `code`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--build-into", str(db_path), "--code", str(code),
               "--comments", str(args.comments), "--body-chars", str(args.body_chars)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=code, check=False,
                            env={**service_env(), "BENCH_SECRET": secret})
    if result.returncode != 0:
        raise BenchError(f"building the database failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if Path(data["moderation_package"]).resolve() != (code / "moderation").resolve():
        raise BenchError(f"the build imported {data['moderation_package']}, not {code / 'moderation'}")
    return data


def service_env() -> dict[str, str]:
    """This environment without any MODERATION_* setting (the runs set their own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}


# --------------------------------------------------------------------------- attack


class Attack:
    """The shared state of the client threads: budget, counts, cursors seen, why it stopped."""

    def __init__(self, seconds: float, requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.budget = requests
        self.sent = 0
        self.statuses: Counter[str] = Counter()
        self.errors = 0
        self.bytes = 0
        self.keys: set[tuple[int, str]] = set()
        self.cursors: list[str] = []
        self.stop_reason = ""
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def stop(self, reason: str) -> None:
        with self._lock:
            self.stop_reason = self.stop_reason or reason
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def claim(self) -> bool:
        """Take one request from the budget; False once the time or the count is spent."""
        with self._lock:
            if self._stop.is_set():
                return False
            if self.sent >= self.budget or time.monotonic() >= self.deadline:
                self.stop_reason = self.stop_reason or ("count" if self.sent >= self.budget else "time")
                self._stop.set()
                return False
            self.sent += 1
            return True

    def record(self, status: int, size: int, key: tuple[int, str], cursor: str | None) -> None:
        with self._lock:
            self.statuses[str(status)] += 1
            self.bytes += size
            self.keys.add(key)
            if cursor and len(self.cursors) < 20_000:
                self.cursors.append(cursor)

    def failed(self) -> None:
        with self._lock:
            self.errors += 1

    def some_cursor(self, rnd: random.Random) -> str:
        """A cursor an earlier page gave, or "" (the first page)."""
        with self._lock:
            return rnd.choice(self.cursors) if self.cursors and rnd.random() < 0.7 else ""


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def next_cursor(body: bytes) -> str | None:
    """The page's `next` cursor, read from the end of the body (it is the last key)."""
    match = NEXT_AT_END.search(body[-400:])
    if match:
        return match.group(1).decode() if match.group(1) else None
    return json.loads(body).get("next")


def client_thread(port: int, attack: Attack, seed: int, depth: int) -> None:
    """Random limits from the start or an earlier cursor, following `next` up to depth pages."""
    rnd = random.Random(seed)
    while not attack.stopped:
        limit, cursor = rnd.randint(1, MAX_LIMIT), attack.some_cursor(rnd)
        for _ in range(depth):
            if not attack.claim():
                return
            try:
                status, body = get(port, f"{LIST_PATH}?limit={limit}" + (f"&after={cursor}" if cursor else ""))
            except OSError:
                attack.failed()
                break
            following = next_cursor(body) if status == 200 else None
            attack.record(status, len(body), (limit, cursor), following)
            if not following:
                break
            cursor = following


def rss_kb(pid: int, field: str = "VmRSS") -> int | None:
    """A process's resident set (or VmHWM, its peak) in kB, None when it is gone."""
    value = proc_status(pid, field)
    return int(value.split()[0]) if value else None


def sample(server: Server) -> dict[str, int]:
    """Each worker's RSS now, in kB, by pid."""
    return {str(pid): kb for pid in server.workers() if (kb := rss_kb(pid)) is not None}


def sampler(server: Server, attack: Attack, started: float, timeline: list[dict[str, Any]], max_kb: int) -> None:
    """Every second until the attack stops: each worker's RSS; stop the attack past max_kb."""
    while not attack.stopped:
        now = sample(server)
        timeline.append({"t": round(time.monotonic() - started, 1), "rss_kb": now, "requests": attack.sent})
        if now and max(now.values()) > max_kb:
            attack.stop(f"a worker passed --max-rss-mb ({max_kb // 1024} MB)")
        if server.process.poll() is not None:
            attack.stop("gunicorn exited")
        time.sleep(1)


def run_attack(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """The attack against a ready server, bounded in time and count; RSS before, during and after."""
    time.sleep(1)  # let both workers settle after boot
    before = sample(server)
    attack = Attack(args.seconds, args.requests)
    timeline: list[dict[str, Any]] = [{"t": 0.0, "rss_kb": before, "requests": 0}]
    started = time.monotonic()
    threads = [threading.Thread(target=client_thread, args=(server.port, attack, seed, args.depth), daemon=True)
               for seed in range(args.threads)]
    watcher = threading.Thread(target=sampler, args=(server, attack, started, timeline, args.max_rss_mb * 1024),
                               daemon=True)
    for thread in (*threads, watcher):
        thread.start()
    for thread in threads:
        thread.join(timeout=args.seconds + 120)
    attack.stop("time")
    elapsed = time.monotonic() - started
    watcher.join(timeout=5)
    time.sleep(2)  # the last requests finish; what stays is what the cache keeps
    after = sample(server)
    peaks = {pid: rss_kb(int(pid), "VmHWM") for pid in after}
    return {"before_kb": before, "after_kb": after, "peak_kb": peaks, "timeline": timeline,
            "requests": sum(attack.statuses.values()), "errors": attack.errors,
            "statuses": dict(attack.statuses), "distinct_keys": len(attack.keys),
            "mb_received": round(attack.bytes / 1e6, 1), "elapsed_s": round(elapsed, 1),
            "requests_per_s": round(sum(attack.statuses.values()) / elapsed, 1), "stopped_by": attack.stop_reason,
            "workers_replaced": sorted(set(before) - set(after))}


# ---------------------------------------------------------------------------- report


def mb(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f} MB"


def write_results(run: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Merge this run, under its label, into cache_attack.json, and rewrite cache_attack.md."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cache_attack.json"
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):
        recorded = {}
    runs = recorded.get("runs", {})
    runs[run["label"]] = run
    recorded = {"runs": runs}
    path.write_text(json.dumps(recorded, indent=2) + "\n")
    (folder / "cache_attack.md").write_text("\n".join(markdown(list(runs.values()))))
    return recorded


def markdown(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["# Page-cache attack: worker memory", "",
             "A client asks for one large article (by default 1,000 approved comments of 4,000 characters) "
             "with a random "
             "`limit` from 1 to 200, from the start or from a cursor an earlier page gave, following `next` a few "
             "pages deep: nearly every request is a new (limit, cursor) key of the per-worker page cache. "
             "Re-run from the project root with `.venv/bin/python bench/cache_attack_bench.py` (this tree) and "
             "`.venv/bin/python bench/cache_attack_bench.py --code DIR --label LABEL` (another checkout, e.g. "
             "`git archive aea5ecf | tar -x -C /tmp/base`: the code before the byte bound). Raw numbers, with "
             "RSS every second, in `cache_attack.json`.", "",
             "| run | date | code | requests | req/s | distinct keys | worker RSS before | peak (VmHWM) "
             "| after | stopped by |", "|---|---|---|---:|---:|---:|---|---|---|---|"]
    for run in runs:
        attack = run["attack"]
        label = run["label"] + (" **(SMOKE RUN — not a result)**" if run["smoke"] else "")
        lines.append(
            f"| {label} | {run['date_utc']} | `{run['code']}` | {attack['requests']:,} | {attack['requests_per_s']} "
            f"| {attack['distinct_keys']:,} | {', '.join(mb(kb) for kb in attack['before_kb'].values())} "
            f"| {', '.join(mb(kb) for kb in attack['peak_kb'].values())} "
            f"| {', '.join(mb(kb) for kb in attack['after_kb'].values())} | {attack['stopped_by']} |")
    lines += ["", "RSS per worker (both sync workers of one gunicorn), in MB, every 5 s of the attack:", ""]
    for run in runs:
        timeline = run["attack"]["timeline"]
        points = timeline[::5] + ([timeline[-1]] if (len(timeline) - 1) % 5 else [])
        points.append({"t": run["attack"]["elapsed_s"] + 2, "rss_kb": run["attack"]["after_kb"]})
        trend = "; ".join(f"{p['t']:.0f} s: " + "/".join(f"{kb / 1024:.0f}" for kb in p["rss_kb"].values())
                          for p in points)
        lines.append(f"- {run['label']}: {trend} (2 s after the attack)")
    lines += ["", "## Settings", ""]
    for run in runs:
        s = run["settings"]
        lines.append(
            f"- {run['label']}: `{run['command']}`; gunicorn `{' '.join(s['gunicorn'])}` pinned with "
            f"`taskset -c {s['server_core']}`, client threads ({s['threads']}) on CPU {s['load_core']}; "
            f"at most {s['seconds']} s or {s['requests']:,} requests, {s['depth']} pages deep; "
            f"MODERATION_PAGE_CACHE_BYTES {s['page_cache_bytes'] or 'unset'}; "
            f"data: {run['data']['comments']:,} comments of {run['data']['body_chars']:,} characters, "
            f"a limit=200 page is {run['data']['page_bytes_at_limit_200']:,} "
            f"bytes; machine load average {run['load_avg']}.")
    return lines + [""]


# ------------------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of the service to attack (its app.py)")
    parser.add_argument("--label", help="name of this run in the results (default: 'this tree' or the folder name)")
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="longest attack")
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="most requests")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--depth", type=int, default=4, help="pages followed from each start")
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--body-chars", type=int, default=4000)
    parser.add_argument("--page-cache-bytes", type=int, help="set MODERATION_PAGE_CACHE_BYTES (default: unset)")
    parser.add_argument("--max-rss-mb", type=int, default=3000, help="stop the attack when a worker passes this")
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--load-core", type=int, default=0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--smoke", action="store_true", help="mark the run as a smoke run whatever the settings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server log)")
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (1 <= args.seconds <= 300 and 1 <= args.requests <= 200_000 and 1 <= args.threads <= 16
            and 1 <= args.depth <= 20 and 1 <= args.comments <= 5000 and 1 <= args.body_chars <= 5000):
        parser.error("keep --seconds 1-300, --requests ≤ 200,000, --threads 1-16, --depth 1-20, "
                     "--comments 1-5000, --body-chars 1-5000")
    args.code = args.code.resolve()
    if not (args.code / "app.py").is_file() or not (args.code / "moderation").is_dir():
        parser.error(f"{args.code} is not a checkout of the service (no app.py and moderation/)")
    usable = os.sched_getaffinity(0)
    if not args.build_into and (args.server_core == args.load_core
                                or not {args.server_core, args.load_core} <= usable):
        parser.error(f"--server-core and --load-core must be two different CPUs of {sorted(usable)}")
    args.label = args.label or ("this tree" if args.code == ROOT else args.code.name)
    args.smoke = args.smoke or args.seconds < DEFAULT_SECONDS
    return args


def build_main(args: argparse.Namespace) -> int:
    """The child process: import the service from --code only, build, print the summary."""
    sys.path[:] = [str(args.code)] + [p for p in sys.path if p and Path(p).resolve() != ROOT]
    summary = build_database(f"sqlite:///{args.build_into}", os.environ["BENCH_SECRET"], args.comments,
                             args.body_chars)
    print(json.dumps(summary))
    return 0


def main() -> int:
    args = parse_args()
    if args.build_into:
        return build_main(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.sched_setaffinity(0, {args.load_core})  # this process, its client threads and the build child
    tmp = Path(tempfile.mkdtemp(prefix="moderation-cache-attack-"))
    server: Server | None = None
    try:
        secret = "attack-" + secrets.token_urlsafe(32)
        db_path = tmp / "attack.sqlite3"
        log(f"building {args.comments} comments of {args.body_chars} characters with {args.code}")
        data = build_in_child(args.code, db_path, secret, args)
        log(f"built in {data['build_s']}s; a limit=200 page is {data['page_bytes_at_limit_200']:,} bytes")
        env = {**service_env(), "MODERATION_DATABASE_URL": f"sqlite:///{db_path}", "MODERATION_SECRET_KEY": secret}
        if args.page_cache_bytes is not None:
            env["MODERATION_PAGE_CACHE_BYTES"] = str(args.page_cache_bytes)
        server = Server("service", "app:app", env, tmp, args.server_core, cwd=args.code)
        server.wait_ready("/healthz")
        pinning = server.check_pinned()
        if any(os.readlink(f"/proc/{pid}/cwd") != str(args.code) for pid in server.workers()):
            raise BenchError(f"the workers do not run in {args.code}")
        log(f"attacking for at most {args.seconds}s or {args.requests:,} requests "
            + ("— SMOKE RUN" if args.smoke else ""))
        attack = run_attack(server, args)
        server.check_alive()
        log(f"{attack['requests']:,} requests ({attack['requests_per_s']}/s, {attack['distinct_keys']:,} keys), "
            f"stopped by {attack['stopped_by']}; RSS before {attack['before_kb']} kB, peak {attack['peak_kb']} kB, "
            f"after {attack['after_kb']} kB")
        run = record(args, data, attack, pinning)
        write_results(run, args.results)
        log(f"wrote {args.results / 'cache_attack.md'} and cache_attack.json under {args.label!r}")
        return 0
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def record(args: argparse.Namespace, data: dict[str, Any], attack: dict[str, Any],
           pinning: dict[str, str]) -> dict[str, Any]:
    """One run as it is stored in the results."""
    return {
        "label": args.label,
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "smoke": args.smoke,
        "command": shlex.join([".venv/bin/python", "bench/cache_attack_bench.py", *sys.argv[1:]]),
        "code": str(args.code),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "settings": {"gunicorn": api_bench.GUNICORN_SETTINGS, "server_core": args.server_core,
                     "load_core": args.load_core, "pinning": pinning, "threads": args.threads, "depth": args.depth,
                     "seconds": args.seconds, "requests": args.requests, "page_cache_bytes": args.page_cache_bytes,
                     "max_rss_mb": args.max_rss_mb},
        "data": data,
        "attack": attack,
    }


if __name__ == "__main__":
    sys.exit(main())
