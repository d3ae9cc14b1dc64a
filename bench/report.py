"""The printed table: one row per figure, with the goal it is read against."""

from __future__ import annotations

from typing import Any

GOALS = {
    "ratio": 0.85,
    "speedup": 10.0,
    "large_rss": 200.0,
    "status_p99": 20.0,
}


def _row(rows: list[tuple[str, str, str]], name: str, value: str, goal: str = "") -> None:
    rows.append((name, value, goal))


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []
    tp = results.get("throughput")
    if tp:
        _row(
            rows,
            f"throughput {tp['series']} ({tp['images']} img, {tp['megabytes']} MB, "
            f"{tp['latency_ms']} ms)",
            f"{tp['seconds']:.2f} s, {tp['images_per_s']} img/s",
        )
        _row(
            rows,
            f"  bound: ceil(n/{tp['max_per_host']})×latency + transfer "
            f"({tp['loopback_mb_s']} MB/s)",
            f"{tp['bound_s']:.2f} s = {tp['bound_latency_s']:.2f} + {tp['bound_transfer_s']:.2f}",
        )
        ok = tp["ratio"] >= GOALS["ratio"]
        _row(
            rows, "  ratio bound/measured", f"{tp['ratio']:.2f}", f"≥ {GOALS['ratio']} {_mark(ok)}"
        )
        _row(
            rows,
            "  network floor: a bare client, same requests and latency",
            f"{tp['floor_s']:.2f} s (floor/measured {tp['floor_ratio']:.2f})",
        )
        _row(
            rows,
            "  first page stored / last page stored / archive ready",
            f"{tp['first_page_s']} / {tp['pages_done_s']} / {tp['seconds']} s",
        )
        _row(
            rows, "  worker CPU", f"{tp['worker_cpu_s']} s ({tp['worker_cpu_ms_per_image']} ms/img)"
        )
        if "budget_calls_per_image" in tp:
            _row(rows, "  host budget Redis calls per image", f"{tp['budget_calls_per_image']}")
        lever = tp.get("lever")
        if lever:
            _row(
                rows,
                f"  same with MAX_PER_HOST={lever['max_per_host']}",
                f"{lever['seconds']:.2f} s (bound {lever['bound_s']:.2f} s, ratio "
                f"{lever['ratio']:.2f}, floor/measured {lever['floor_ratio']:.2f})",
            )
    base = results.get("baseline")
    if base:
        _row(
            rows,
            "sequential baseline (httpx, 1 at a time, zipfile)",
            f"{base['seconds']:.2f} s, {base['images_per_s']} img/s",
        )
        if tp:
            speedup = base["seconds"] / tp["seconds"]
            results["speedup"] = round(speedup, 2)
            _row(
                rows,
                "  speed-up of the app",
                f"{speedup:.1f}×",
                f"≥ {GOALS['speedup']:g}× {_mark(speedup >= GOALS['speedup'])}",
            )
            if tp.get("lever"):
                lever = tp["lever"]
                speedup = base["seconds"] / lever["seconds"]
                results["speedup_lever"] = round(speedup, 2)
                _row(
                    rows,
                    f"  speed-up with MAX_PER_HOST={lever['max_per_host']}",
                    f"{speedup:.1f}×",
                    f"≥ {GOALS['speedup']:g}× {_mark(speedup >= GOALS['speedup'])}",
                )
    mem = results.get("memory")
    if mem:
        idle = mem["idle"]
        _row(
            rows,
            "worker memory idle (busiest process RSS / tree PSS)",
            f"{idle['process_rss_mb']} / {idle['tree_pss_mb']} MB",
        )
        for label in ("small", "large"):
            m = mem[label]
            goal = ""
            if label == "large":
                ok = m["process_rss_mb"] < GOALS["large_rss"]
                goal = f"< {GOALS['large_rss']:g} MB {_mark(ok)}"
            _row(
                rows,
                f"  peak, {label} archive {m['series']} ({m['archive_mb']} MB, {m['seconds']} s)",
                f"{m['process_rss_mb']} / {m['tree_pss_mb']} MB",
                goal,
            )
    api = results.get("load")
    if api:
        for r in api["results"]:
            goal = ""
            if r["name"].startswith("status"):
                ok = r["p99_ms"] is not None and r["p99_ms"] < GOALS["status_p99"]
                goal = f"p99 < {GOALS['status_p99']:g} ms {_mark(ok)}"
            errors = f", {r['errors']} errors" if r["errors"] else ""
            cost = ""
            if r.get("cpu_ms_per_request") is not None:
                cost = (
                    f"; API CPU {r['cpu_ms_per_request']} ms,"
                    f" {r['redis_calls_per_request']} Redis calls per request"
                )
            _row(
                rows,
                f"API {r['name']}, {r['clients']} clients",
                f"{r['rps']} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms{errors}{cost}",
                goal,
            )
    scale = results.get("scaling")
    if scale:
        expect = {"same_host": "≈ 1.0× (one fleet budget)", "own_hosts": "≈ 1.7×+"}
        for case, where in (("same_host", "one host"), ("own_hosts", "a host each")):
            for run in scale.get(case, {}).get("runs", []):
                extra = f", {run['speedup']}× of 1" if "speedup" in run else ""
                _row(
                    rows,
                    f"scaling: {scale['jobs']} jobs, {where}, {run['processes']} pool process(es)",
                    f"{run['seconds']:.2f} s (bound {run['bound_s']:.2f} s, ratio "
                    f"{run['ratio']:.2f}, {run['budget_calls_per_image']} budget calls/img)"
                    f"{extra}",
                    expect[case] if "speedup" in run else "",
                )
    width = max(len(r[0]) for r in rows) if rows else 0
    vwidth = max(len(r[1]) for r in rows) if rows else 0
    lines = [f"{name:<{width}}  {value:<{vwidth}}  {goal}".rstrip() for name, value, goal in rows]
    return "\n".join(lines)
