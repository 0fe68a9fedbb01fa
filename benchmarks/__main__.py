"""Run every benchmark module of this package (``python -m benchmarks``; ``make bench``)."""

import importlib
import os
import pkgutil
import sys
import time

import benchmarks


def main() -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if not info.name.startswith("_")
    )
    failed = []
    # The machine's load when the run starts and ends: figures from a shared machine need it.
    print(f"bench_load_average_start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with benchmarks.database():
        for name in names:
            print(f"# {name}", flush=True)
            started = time.perf_counter()
            module = importlib.import_module(f"benchmarks.{name}")
            try:
                module.main()
            except Exception as exc:
                failed.append(name)
                print(f"{name}: FAILED ({type(exc).__name__}: {exc})", flush=True)
            print(f"# {name} took {time.perf_counter() - started:.1f}s", flush=True)
    print(f"bench_load_average_end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
