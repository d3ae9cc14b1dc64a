"""`python -m bench [--quick] [--only SCENARIO,…] […]`; scenarios in SCENARIOS below."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from . import hostlimits, library, scenarios
from .report import table
from .stack import Stack
from .workload import Series

SCENARIOS = ("throughput", "baseline", "memory", "load", "scaling", "hostlimits", "library")
RESULTS = Path(__file__).resolve().parent / "results"


def _series(text: str) -> Series:
    match = re.fullmatch(r"(?:bench_)?(\d+)x(\d+)_(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected CxP_KB like 20x40_300, got {text!r}")
    return Series(*(int(g) for g in match.groups()))


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.upper(), value


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, scenarios.Options]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short load runs (about a minute)"
    )
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma list of {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--series", type=_series, help="throughput data, CxP_KB (20x40_300)")
    parser.add_argument("--latency-ms", type=int, default=50, help="per-image latency")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="worker pool processes in the throughput run (make run uses 2)",
    )
    parser.add_argument("--memory-large", type=_series, help="large archive (50x40_500)")
    parser.add_argument("--memory-small", type=_series, help="small archive (2x20_500)")
    parser.add_argument(
        "--also-per-host",
        type=int,
        default=16,
        help="repeat the throughput run with this MAX_PER_HOST (0: don't)",
    )
    parser.add_argument("--clients", type=int, default=200, help="concurrent API clients")
    parser.add_argument("--load-seconds", type=float, help="length of each load run")
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between a paced client's requests"
    )
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--scaling-jobs", type=int, default=2, help="jobs the scaling run splits the workload into"
    )
    parser.add_argument(
        "--library-series", type=int, help="followed series the library run checks (500)"
    )
    parser.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for the worker and API, e.g. MAX_PER_HOST=16",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.only = only
    settings = dict(args.set)
    opts = scenarios.Options(
        series=args.series or (Series(6, 40, 300) if args.quick else Series(20, 40, 300)),
        latency_ms=args.latency_ms,
        per_host=int(settings.get("MAX_PER_HOST", _default("max_per_host"))),
        concurrency=args.concurrency,
        memory_small=args.memory_small or Series(2, 20, 500),
        memory_large=args.memory_large
        or (Series(10, 40, 500) if args.quick else Series(50, 40, 500)),
        clients=args.clients,
        load_seconds=args.load_seconds or (2.0 if args.quick else 5.0),
        poll_interval=args.poll_interval,
        api_workers=args.api_workers,
        scaling_jobs=args.scaling_jobs,
        also_per_host=args.also_per_host,
        library_series=args.library_series or (100 if args.quick else 500),
        settings=settings,
    )
    return args, opts


def _default(name: str) -> int:
    from manhwa.config import Settings

    return int(Settings.model_fields[name].default)


def main(argv: list[str] | None = None) -> int:
    args, opts = parse(argv)
    results: dict[str, Any] = {
        "machine": scenarios.machine(),
        "options": {
            "series": opts.series.series_id,
            "latency_ms": opts.latency_ms,
            "max_per_host": opts.per_host,
            "concurrency": opts.concurrency,
            "clients": opts.clients,
            "api_workers": opts.api_workers,
            "settings": opts.settings,
            "quick": args.quick,
        },
    }
    started = time.perf_counter()
    with Stack().start() as stack:
        try:
            for name in [s for s in SCENARIOS if s in args.only]:
                print(f"… {name}", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                if name == "scaling":
                    tp = results.get("throughput") or {}
                    results[name] = scenarios.scaling(
                        stack, opts, tp.get("_rate"), tp.get("_bytes")
                    )
                elif name == "hostlimits":
                    results[name] = hostlimits.hostlimits(stack, opts)
                elif name == "library":
                    results[name] = library.library(stack, opts.library_series)
                else:
                    results[name] = getattr(scenarios, _FUNCS[name])(stack, opts)
                print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        except Exception:
            print("worker log tail:\n" + stack.log_tail("worker.log"), file=sys.stderr)
            raise
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(table(results))
    if "hostlimits" in results:
        print(hostlimits.table(results["hostlimits"]))
    if "library" in results:
        print(library.table(results["library"]))
    for scenario in results.values():
        if isinstance(scenario, dict):
            for key in [k for k in scenario if k.startswith("_")]:
                del scenario[key]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.output} ({results['seconds']} s in all)")
    return 0


_FUNCS = {
    "throughput": "throughput",
    "baseline": "baseline",
    "memory": "memory",
    "load": "api_load",
}

if __name__ == "__main__":
    sys.exit(main())
