"""The audit workbook export at city scale (issue 10): rows per second of ``manage.py
export_audit`` against bare openpyxl write-only writing the same rows and columns, and the peak
memory (RSS) of the export process at two sizes — the city and the 10× smaller run (measured
by ``benchmarks.city_data()`` on the way up) — which must stay under ``RSS_LIMIT_MB`` whatever
the row count.

The export runs in a child process (``python -m benchmarks.audit_export --child OUT``, which
times ``call_command("export_audit")`` itself, Django's start-up excluded, and reports its own peak
RSS: ``VmHWM`` of ``/proc/self/status``). Not ``os.wait4``'s ``ru_maxrss``: Linux carries the
high-water mark of the address space a process had before ``execve`` over into it, so a child
forked by this benchmark process — which holds hundreds of MB after seeding the city — reported
the *parent's* size (the 171 MB / 419 MB of issue 10 grew with the seed, not with the export;
the export itself stays under 100 MB). ``VmHWM`` belongs to the child's own address space.

The baseline re-reads the workbook's cell values (read-only), then times a write-only openpyxl
workbook appending exactly those rows to the same sheets (no styles, no widths, no database): the
physical limit of the library our writer stands on. Export and baseline runs alternate (best of
``repeat`` each), so a machine shared with other jobs slows both sides alike.

Prints ``audit_export_rows``, ``audit_export_seconds``, ``openpyxl_write_seconds``,
``audit_export_vs_openpyxl`` (rows/s ÷ rows/s, goal ≥ 0.7) and ``audit_export_peak_rss_mb``
(city) and ``audit_export_peak_rss_mb_small`` (goal < 300 both).

    python -m benchmarks.audit_export
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RSS_LIMIT_MB = 300
CHILD_MARKER = "EXPORT_SECONDS "
RSS_MARKER = "EXPORT_PEAK_RSS_KB "


def _own_peak_rss_kb() -> int | None:
    """This process's peak RSS since its ``execve`` (``VmHWM``), None where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _run_child(out: Path) -> tuple[float, float]:
    """(export seconds as timed by the child, peak RSS of the child in MB)."""
    import benchmarks

    with tempfile.TemporaryFile("w+") as stdout_file, tempfile.TemporaryFile("w+") as stderr_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.audit_export", "--child", str(out)],
            env=benchmarks.database_env(),
            stdout=stdout_file,
            stderr=stderr_file,
            text=True,
        )
        # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would be the max over
        # every child this process ever waited for).
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout_file.seek(0)
        stderr_file.seek(0)
        stdout, stderr = stdout_file.read(), stderr_file.read()
    lines = [line for line in stdout.splitlines() if line.startswith(CHILD_MARKER)]
    if process.returncode or not lines:
        raise RuntimeError(f"export child failed ({process.returncode}): {stderr[-2000:]}")
    rss_lines = [line for line in stdout.splitlines() if line.startswith(RSS_MARKER)]
    # ru_maxrss only where /proc is missing: it includes this (parent) process's size at fork.
    rss_kb = int(rss_lines[-1][len(RSS_MARKER) :]) if rss_lines else usage.ru_maxrss
    return float(lines[-1][len(CHILD_MARKER) :]), rss_kb / 1024  # KiB on Linux


def _read_back(path: Path) -> list[tuple[str, list[tuple]]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [
            (sheet.title, [tuple(row) for row in sheet.iter_rows(values_only=True)])
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()


def _openpyxl_write(sheets: list[tuple[str, list[tuple]]], out: Path) -> float:
    import openpyxl

    started = time.perf_counter()
    workbook = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out)
    return time.perf_counter() - started


def measure_export(folder: str, repeat: int = 2) -> dict:
    """Export the current benchmark database's audit workbook (best of ``repeat`` children) and
    the openpyxl baseline on the same rows."""
    out = Path(folder) / "audit.xlsx"
    runs = [_run_child(out)]
    sheets = _read_back(out)
    rows = sum(len(rows) for _title, rows in sheets)
    baselines = [_openpyxl_write(sheets, Path(folder) / "baseline.xlsx")]
    for _ in range(repeat - 1):
        runs.append(_run_child(out))
        baselines.append(_openpyxl_write(sheets, Path(folder) / "baseline.xlsx"))
    seconds = min(run[0] for run in runs)
    rss = max(run[1] for run in runs)
    baseline = min(baselines)
    return {
        "rows": rows,
        "seconds": seconds,
        "openpyxl_seconds": baseline,
        "peak_rss_mb": rss,
        "file_kb": out.stat().st_size // 1024,
    }


def _child(out: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuchang_skills.settings")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("export_audit", out=out, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"{CHILD_MARKER}{time.perf_counter() - started:.6f}", flush=True)
    peak_kb = _own_peak_rss_kb()
    if peak_kb is not None:
        print(f"{RSS_MARKER}{peak_kb}", flush=True)


def main() -> None:
    import benchmarks

    with benchmarks.database():
        small = benchmarks.city_data()["small"]
        with tempfile.TemporaryDirectory() as folder:
            city = measure_export(folder)
        ratio = (city["rows"] / city["seconds"]) / (city["rows"] / city["openpyxl_seconds"])
        print(f"audit_export_rows: {city['rows']}")
        print(f"audit_export_file_kb: {city['file_kb']}")
        print(f"audit_export_seconds: {city['seconds']:.3f}")
        print(f"openpyxl_write_seconds: {city['openpyxl_seconds']:.3f}")
        print(f"audit_export_vs_openpyxl: {ratio:.2f}")
        print(f"audit_export_peak_rss_mb: {city['peak_rss_mb']:.0f}")
        print(f"audit_export_rows_small: {small['export_rows']}")
        print(f"audit_export_peak_rss_mb_small: {small['export_peak_rss_mb']:.0f}")
        small_ratio = small["export_openpyxl_seconds"] / small["export_seconds"]
        print(f"audit_export_vs_openpyxl_small: {small_ratio:.2f}")
        worst = max(city["peak_rss_mb"], small["export_peak_rss_mb"])
        if worst >= RSS_LIMIT_MB:
            raise AssertionError(f"export peak RSS {worst:.0f} MB ≥ {RSS_LIMIT_MB} MB")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        main()
