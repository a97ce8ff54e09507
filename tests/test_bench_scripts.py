"""The benchmark scripts' own arithmetic: targets judged against the same run's ceiling at 32
connections, refused POSTs reported, the cache attack's bounds, cursors and merged results.

The scripts measure with real servers (bench/api_bench.py, bench/cache_attack_bench.py); these
tests check, in milliseconds, that what they report follows from what they measured.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def api_bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """bench/api_bench.py, imported as the scripts import each other."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("api_bench")


@pytest.fixture
def cache_attack(api_bench: ModuleType) -> ModuleType:
    """bench/cache_attack_bench.py."""
    return importlib.import_module("cache_attack_bench")


def wrk_run(rps: float, cpu_ms: float = 0.5, statuses: dict[str, int] | None = None) -> dict[str, Any]:
    """One wrk run as run_wrk returns it, with what summarize reads."""
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "server_cpu_ms_per_request": cpu_ms,
            "statuses": statuses or {"200": int(rps)}, "non_2xx_3xx": 0,
            "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}


def one_round(api_bench: ModuleType, rates: dict[str, float], at_one: float = 100.0,
              post_statuses: dict[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """A round where each scenario runs at `rates` with 32 connections and `at_one` with 1."""
    runs = {}
    for scenario in api_bench.SCENARIOS:
        statuses = post_statuses if scenario == "post_limited" and post_statuses else None
        runs[api_bench.run_key(scenario, 32)] = wrk_run(rates.get(scenario, 500.0), statuses=statuses)
        runs[api_bench.run_key(scenario, 1)] = wrk_run(at_one)
    return runs


@pytest.mark.parametrize("get_rps, not_modified_rps, get_meets, not_modified_meets", [
    (650.0, 1200.0, True, True),      # exactly the targets: 65% and 120% of the ceiling
    (649.0, 1199.0, False, False),    # just under
    (900.0, 1000.0, True, False),     # a 304 merely as fast as the ceiling misses
    (500.0, 2000.0, False, True),     # the old 50% GET target no longer passes
])
def test_targets_are_judged_against_the_ceiling_at_32_connections(
        api_bench: ModuleType, get_rps: float, not_modified_rps: float, get_meets: bool,
        not_modified_meets: bool) -> None:
    # At 1 connection every scenario equals the ceiling: only the 32-connection runs decide.
    rounds = [one_round(api_bench, {"get": get_rps, "not_modified": not_modified_rps, "ceiling": 1000.0})]
    summary = api_bench.summarize(rounds, [32, 1])
    targets = api_bench.ratios(summary, rounds, [32, 1])["targets"]
    assert targets["get_vs_ceiling"]["connections"] == 32
    assert targets["get_vs_ceiling"]["meets_target"] is get_meets
    assert targets["not_modified_vs_ceiling"]["meets_target"] is not_modified_meets


def test_every_scenario_has_a_ratio_at_each_connection_count(api_bench: ModuleType) -> None:
    rounds = [one_round(api_bench, {"get": 700.0, "ceiling": 1000.0}, at_one=50.0) for _ in range(3)]
    by_run = api_bench.ratios(api_bench.summarize(rounds, [32, 1]), rounds, [32, 1])["by_run"]
    assert set(by_run) == {api_bench.run_key(s, c) for s in api_bench.SCENARIOS[:-1] for c in (32, 1)}
    assert by_run["get@32"]["ratio_of_medians"] == 0.7
    assert by_run["get@32"]["per_round"] == [0.7, 0.7, 0.7]
    assert by_run["get@1"]["ratio_of_medians"] == 1.0


@pytest.mark.parametrize("statuses, unexpected", [
    ({"202": 500}, 0),
    ({"202": 480, "429": 20}, 20),    # the rate limit refused some: not the counting work measured
    ({"429": 500}, 500),
])
def test_a_refused_post_with_the_rate_limit_on_is_counted_as_unexpected(
        api_bench: ModuleType, statuses: dict[str, int], unexpected: int) -> None:
    rounds = [one_round(api_bench, {"ceiling": 1000.0}, post_statuses=statuses)]
    summary = api_bench.summarize(rounds, [32, 1])
    assert summary["post_limited@32"]["unexpected_status"] == unexpected
    assert api_bench.EXPECTED_STATUS["post_limited"] == 202


def test_the_rate_limit_scenario_counts_every_post_without_refusing_the_load(api_bench: ModuleType) -> None:
    rate, per = api_bench.RATELIMIT_ON["MODERATION_RATELIMIT"].split("/")
    assert per == "minute" and int(rate) >= 100_000
    assert api_bench.RATELIMIT_ON["MODERATION_FLOOD_SECONDS"] == "0"
    assert api_bench.RATELIMIT_OFF == {"MODERATION_RATELIMIT": "0"}


def test_wrk_latencies_are_read_in_milliseconds(api_bench: ModuleType) -> None:
    output = """Running 2s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  471.00us
     75%    1.20ms
     90%    2.00s
     99%    1.50m
  2717 requests in 2.01s, 66.74MB read
Requests/sec:   1351.40
STATUS_COUNTS {"200":2717}
"""
    parsed = api_bench.parse_wrk(output)
    assert (parsed["p50_ms"], parsed["p90_ms"], parsed["p99_ms"]) == (0.471, 2000.0, 90000.0)
    assert parsed["statuses"] == {"200": 2717} and parsed["requests"] == 2717


@pytest.mark.parametrize("requests, seconds, allowed, reason", [
    (3, 60, 3, "count"),
    (10, 0, 0, "time"),
])
def test_the_attack_stops_at_its_count_or_its_time(cache_attack: ModuleType, requests: int, seconds: int,
                                                   allowed: int, reason: str) -> None:
    attack = cache_attack.Attack(seconds, requests)
    granted = sum(attack.claim() for _ in range(requests + 5))
    assert granted == allowed
    assert attack.stopped and attack.stop_reason == reason


@pytest.mark.parametrize("body, cursor", [
    (b'{"article_id":"a","count":3,"comments":[{"id":1}],"next":"WyJhIiwyXQ.sig"}', "WyJhIiwyXQ.sig"),
    (b'{"article_id":"a","count":3,"comments":[],"next":null}', None),
    (b'{"article_id":"a","count":3,"comments":[],"next":"abc"}\n', "abc"),
    (b'{"next":"first","count":1}', "first"),    # not the last key: read as JSON
])
def test_the_next_cursor_is_read_from_the_page(cache_attack: ModuleType, body: bytes, cursor: str | None) -> None:
    assert cache_attack.next_cursor(body) == cursor


@pytest.mark.parametrize("chars", [200, 4000])
def test_attack_comments_are_long_distinct_and_linkless(cache_attack: ModuleType, chars: int) -> None:
    bodies = [cache_attack.comment_body(index, chars) for index in range(20)]
    assert all(chars * 0.95 <= len(body) <= chars for body in bodies)
    assert len(set(bodies)) == len(bodies)          # a duplicate would be refused (409)
    assert not any("http" in body or "www." in body for body in bodies)   # links would hold them


def attack_run(label: str, smoke: bool) -> dict[str, Any]:
    """A stored run of the cache attack with what the markdown reads."""
    timeline = [{"t": float(t), "rss_kb": {"1": 70_000 + 1000 * t, "2": 71_000}, "requests": 10 * t}
                for t in range(12)]
    return {"label": label, "date_utc": "2026-11-30T00:00:00Z", "smoke": smoke, "command": "cmd", "code": "/c",
            "load_avg": [1.0, 1.0, 1.0],
            "settings": {"gunicorn": ["--workers", "2"], "server_core": 1, "load_core": 0, "threads": 4,
                         "depth": 4, "seconds": 60, "requests": 40_000, "page_cache_bytes": None},
            "data": {"comments": 1000, "body_chars": 4000, "page_bytes_at_limit_200": 858_749},
            "attack": {"requests": 110, "requests_per_s": 10.0, "distinct_keys": 100, "elapsed_s": 11.0,
                       "before_kb": {"1": 70_000, "2": 71_000}, "peak_kb": {"1": 81_920, "2": 71_000},
                       "after_kb": {"1": 81_000, "2": 71_000}, "timeline": timeline, "stopped_by": "time"}}


def test_attack_results_keep_other_labels_and_mark_smoke_runs(cache_attack: ModuleType, tmp_path: Path) -> None:
    cache_attack.write_results(attack_run("before", smoke=False), tmp_path)
    cache_attack.write_results(attack_run("this tree", smoke=True), tmp_path)
    cache_attack.write_results(attack_run("this tree", smoke=False), tmp_path)   # replaces its own label only
    stored = json.loads((tmp_path / "cache_attack.json").read_text())["runs"]
    assert list(stored) == ["before", "this tree"] and not stored["this tree"]["smoke"]
    text = (tmp_path / "cache_attack.md").read_text()
    assert "SMOKE" not in text and "| 80 MB, 69 MB |" in text   # peaks, VmHWM in MB

    cache_attack.write_results(attack_run("short", smoke=True), tmp_path)
    assert "short **(SMOKE RUN — not a result)**" in (tmp_path / "cache_attack.md").read_text()
