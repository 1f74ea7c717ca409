"""Times the CI entry point on a fresh clone: this checkout's HEAD is cloned next to a copy
of ../shared (as CI runs it), `bash .ci/run` runs there with everything it installs itself,
then, when it passed, `make test-fast` in the same clone (installed and trained: the
edit-test loop). The wall times and results are appended to reports/ci-timings.md."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "ci-timings.md"
HEADER = (
    "# `.ci/run` on a fresh clone\n\n"
    "Written by `make ci-timing`: HEAD cloned into a new directory next to a copy of\n"
    "`../shared`, then `bash .ci/run` there (install, spaCy pipeline, training and every\n"
    "test). Wall time on this machine (2 cores); other work running at the same time\n"
    "slows it, and a warm pip cache makes the install faster than on a new machine.\n"
    "After a passed run, `make test-fast` in the same clone is timed too.\n\n"
    "| started (UTC) | commit | result | wall time (s) | `make test-fast` (s) |\n"
    "| --- | --- | --- | ---: | ---: |\n"
)


def main() -> int:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="ci-timing-") as workdir:
        # The cluster tests' PostgreSQL runs as its own user, which must reach the clone.
        os.chmod(workdir, 0o755)
        shutil.copytree(ROOT.parent / "shared", Path(workdir) / "shared")
        clone = Path(workdir) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        started = dt.datetime.now(dt.timezone.utc)
        begin = time.monotonic()
        log = ROOT / "build" / "ci-timing.log"
        log.parent.mkdir(exist_ok=True)
        with log.open("w") as out:
            result = subprocess.run(["bash", ".ci/run"], cwd=clone, stdout=out, stderr=out)
        seconds = time.monotonic() - begin
        fast = "not run"
        if result.returncode == 0:
            begin = time.monotonic()
            with log.open("a") as out:
                loop = subprocess.run(["make", "test-fast"], cwd=clone, stdout=out, stderr=out)
            took = f"{time.monotonic() - begin:,.0f}"
            fast = took if loop.returncode == 0 else f"failed ({loop.returncode}) after {took}"
    if not REPORT.exists():
        REPORT.write_text(HEADER)
    outcome = "passed" if result.returncode == 0 else f"failed ({result.returncode})"
    with REPORT.open("a") as report:
        report.write(
            f"| {started:%Y-%m-%d %H:%M} | {commit} | {outcome} | {seconds:,.0f} | {fast} |\n"
        )
    print(f"{outcome} in {seconds:,.0f} s; make test-fast: {fast} (log: {log.relative_to(ROOT)})")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
