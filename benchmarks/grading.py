"""Grading a class: safe-mode workers forked from the fork server vs a fresh Python each.

Run by ``benchmarks/run.py``; alone: ``python benchmarks/grading.py [--quick]``.
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pathgrad.safe.worker as worker  # noqa: E402
from pathgrad.grade import grade_folder  # noqa: E402
from pathgrad.safe import forkserver  # noqa: E402


def grading(files):
    """Time ``grade_folder`` on ``files`` copies of the seed, with each kind of worker."""
    print(
        f"8. grading a class: `pathgrad check` of {files} files (safe mode, one worker each, "
        "2 at once), workers forked from the fork server vs a fresh Python each"
    )
    if not forkserver.available():
        print("  no fork server here (no os.fork): every worker is a fresh Python")
        return
    folder = Path(tempfile.mkdtemp(prefix="pathgrad-bench-"))
    try:
        for n in range(files):
            shutil.copy(ROOT / "examples" / "seed.py", folder / f"student_{n:03}.py")
        seconds = {}
        for kind, forked in (("fresh Python", False), ("fork server", True)):
            worker.use_fork_server = forked
            start = time.perf_counter()
            rows = grade_folder(folder, "w1", "-w2*x1 - w3*x2", jobs=2)
            seconds[kind] = time.perf_counter() - start
            assert [r["verdict"] for r in rows] == ["right"] * files, rows
            print(
                f"  {kind:<12} {seconds[kind]:.2f} s ({seconds[kind] / files * 1e3:.0f} ms a file)"
            )
        ratio = seconds["fresh Python"] / seconds["fork server"]
        print(f"  the fork server grades {ratio:.1f}x as fast (the server's own start included)")
    finally:
        worker.use_fork_server = True
        shutil.rmtree(folder)


if __name__ == "__main__":
    grading(4 if "--quick" in sys.argv else 40)
