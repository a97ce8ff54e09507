"""Benchmark of `flask --app app import wxr`: a generated 100,000-comment WordPress export, into
SQLite and into PostgreSQL, with its time and peak memory.

Run from the project root:  .venv/bin/python bench/import_bench.py [--database-url URL]  (about 5 minutes)

The export is bench/make_wxr.py's (WordPress 6.x's layout; 85% approved, 9% pending, 3% spam,
2% trash, 1% pingbacks, a third replies), written once to a temporary folder. Each run is the
real command in a process of its own on a new database, under /usr/bin/time for its peak
resident memory (the largest of the command and the processes it starts). Per database:
- the baseline, in the same run: `--dry-run` (read, parse and check every comment; no rendering,
  no writing) — what the import costs beyond reading the file;
- RUNS imports with the default pool (one text-rendering process per core: both cores);
- on SQLite, one import pinned to one core (`taskset -c 1 … --jobs 1`), for the single-core figure;
- and once, a file a tenth the size, to see that peak memory does not grow with the file.
PostgreSQL's server runs beside, unpinned (its processes are not ours to pin); the target is
≥ 2,000 comments/s with RSS under 200 MB. Writes bench/results/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from make_wxr import write_large_wxr  # noqa: E402

COMMENTS, RUNS = 100_000, 2
RESULTS = ROOT / "bench" / "results"
IMPORTED = re.compile(r"imported: ([\d,]+) approved, ([\d,]+) pending, ([\d,]+) spam")


def one(url: str, export: Path, *extra: str, pin: bool = False) -> dict[str, Any]:
    """One import command on an empty database at url: seconds, peak RSS (MB), comments written."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MODERATION_")}
    env.update(MODERATION_DATABASE_URL=url, MODERATION_SECRET_KEY="bench-secret")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    command = ["/usr/bin/time", "-f", "RSS %M", *(["taskset", "-c", "1"] if pin else []),
               *flask, "import", "wxr", str(export), *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    counts = IMPORTED.search(done.stdout)
    assert counts, done.stdout
    comments = sum(int(group.replace(",", "")) for group in counts.groups())
    rss = int(re.findall(r"RSS (\d+)", done.stderr)[-1]) / 1024
    return {"seconds": round(seconds, 1), "comments": comments, "per_second": round(comments / seconds),
            "rss_mb": round(rss)}


def fresh_postgres(url: str) -> None:
    """Empty the benchmark's PostgreSQL database (drop every table it holds)."""
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def database(name: str, urls: Any, export: Path, pinned: bool) -> dict[str, Any]:
    """Every run on one database: the dry run, the imports, and (if asked) the pinned one."""
    dry = one(next(urls), export, "--dry-run")
    runs = [one(next(urls), export) for _ in range(RUNS)]
    result: dict[str, Any] = {"dry_run": dry, "runs": runs,
                              "median_per_second": statistics.median(r["per_second"] for r in runs),
                              "peak_rss_mb": max(r["rss_mb"] for r in runs)}
    result["ratio_to_dry_run"] = round(result["median_per_second"] / dry["per_second"], 3)
    if pinned:
        result["one_core"] = one(next(urls), export, "--jobs", "1", pin=True)
    print(name, json.dumps(result))
    return result


def main() -> None:
    """Write the export, import it on each database, record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use (it is emptied each run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "wxr-100k.xml"
        write_large_wxr(export, COMMENTS)
        counter = iter(range(100))
        sqlite_urls = (f"sqlite:///{folder}/import{next(counter)}.sqlite3" for _ in iter(int, 1))
        small = Path(folder) / "wxr-10k.xml"  # the same import at a tenth of the size: is memory flat?
        write_large_wxr(small, COMMENTS // 10)
        results = {"comments_in_file": COMMENTS, "file_mb": round(export.stat().st_size / 1e6, 1),
                   "tenth_of_it": one(next(sqlite_urls), small),
                   "sqlite": database("sqlite", sqlite_urls, export, pinned=True)}
        if args.database_url:
            def postgres_urls() -> Any:
                while True:
                    fresh_postgres(args.database_url)
                    yield args.database_url
            results["postgresql"] = database("postgresql", postgres_urls(), export, pinned=False)
    (RESULTS / "import.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
