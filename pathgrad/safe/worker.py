"""A bounded process: a whole safe-mode job in a worker of its own, bounded in time and memory.

:func:`run_bounded` runs ``target(payload)`` (interpreting, explaining, rendering) in
an isolated worker process with the wall time for the whole run and ``memory_mib`` as
its address space (``RLIMIT_AS``, POSIX), and turns what the worker says back into a
result or the same error. :mod:`pathgrad.grade` checks each student file so, and the
command line runs every ``--safe`` command so. On POSIX each worker is forked from one
fork server that has imported sympy once (:mod:`pathgrad.safe.forkserver`: about 0.06 s
a job instead of 0.7 s); elsewhere, or if the server is gone, it is a fresh Python.
"""

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pathgrad import errors
from pathgrad.errors import PathgradError, Stopped
from pathgrad.safe import forkserver
from pathgrad.safe.limits import Limits, active, using

#: The worker, run as ``python -I -c _WORKER PATHGRAD_PARENT``: isolated (no current folder,
#: no ``PYTHON*`` variables, no user site-packages on ``sys.path``), so a student's ``json.py``
#: or ``sympy.py`` next to their file is never imported. It bounds memory and CPU time before
#: anything else is imported, so that the bound covers everything the run does; then it
#: imports pathgrad from exactly the folder it was given (nothing else of that folder joins
#: ``sys.path``), and the target's module, and calls :func:`serve` on the request. POSIX
#: only; on Windows the parent's wall-time bound still applies.
_IMPORT_PATHGRAD = """
package = os.path.join(sys.argv[1], "pathgrad")
spec = importlib.util.spec_from_file_location(
    "pathgrad", os.path.join(package, "__init__.py"), submodule_search_locations=[package])
pathgrad = importlib.util.module_from_spec(spec)
sys.modules["pathgrad"] = pathgrad
spec.loader.exec_module(pathgrad)
from pathgrad.safe.worker import serve
"""
_WORKER = (
    """
import errno, importlib.util, json, math, os, sys
request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
limits = request["limits"]
try:
    import resource
except ImportError:
    resource = None
if resource is not None:
    memory = int(limits["memory_mib"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = int(math.ceil(limits["wall_time_seconds"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
try:
"""
    + "".join(f"    {line}\n" for line in _IMPORT_PATHGRAD.strip().splitlines())
    + """
    importlib.import_module(request["target"].partition(":")[0])  # sympy and all, guarded too
except (MemoryError, SystemError, OSError) as err:  # too little memory even to start
    if isinstance(err, OSError) and err.errno != errno.ENOMEM:  # CPython may say any of these
        raise
    sys.stdout.write(json.dumps({"memory": True}))
    sys.exit(0)
sys.stdout.write(serve(request))
"""
)
#: The fork server (:mod:`pathgrad.safe.forkserver`), started as the worker is, with no
#: bounds of its own: it runs nothing of a student's, only pathgrad's imports and forks.
_SERVER = (
    "import importlib.util, os, sys\n"
    + _IMPORT_PATHGRAD
    + "from pathgrad.safe.forkserver import serve_forks\nserve_forks(serve)\n"
)
#: Fork each worker from one fork server that has imported sympy once (POSIX); ``False``
#: starts a fresh Python per job, as on Windows.
use_fork_server = True
#: Environment variables a worker keeps (``PATH`` finds Graphviz's ``dot``); no others.
WORKER_ENVIRONMENT = ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


def serve(request):
    """In the worker: run the target within the limits; its result or its error as JSON.

    Python's own limits reached from a legal file (nesting deeper than the
    recursion limit, a number too long to print) are reported as bounds too.
    """

    module, _, name = request["target"].partition(":")
    target = getattr(importlib.import_module(module), name)
    try:
        with using(Limits(**request["limits"])):
            return json.dumps({"result": target(request["payload"])}, default=str)
    except PathgradError as err:
        answer = {"error": [type(err).__name__, err.message, err.file, err.line]}
    except MemoryError:
        answer = {"memory": True}
    except RecursionError:
        answer = {
            "stopped": [
                "an expression nested more deeply than Python can follow",
                "recursion_limit",
                sys.getrecursionlimit(),
            ]
        }
    except ValueError as err:
        if "integer string conversion" not in str(err):
            raise
        answer = {
            "stopped": [
                "a whole number too long to print",
                "int_max_str_digits",
                sys.get_int_max_str_digits(),
            ]
        }
    return json.dumps(answer)


def run_bounded(target, payload, limits=None, file=None):
    """``target(payload)`` in a worker process of its own, bounded in wall time and memory.

    ``target`` is ``"module:function"``; ``payload`` and the result are JSON
    data. The process has ``limits.wall_time_seconds`` for the whole run (it is
    killed after that) and ``limits.memory_mib`` of address space
    (``RLIMIT_AS``; not on Windows), and runs in safe mode with ``limits``.

    Raises
    ------
    Stopped
        ``stopped in --safe mode: still running after 10 s (limit:
        wall_time_seconds = 10)``, or ``... out of memory (limit: memory_mib
        = 1024)``.
    PathgradError
        What ``target`` raised (same class, message, file and line).

    Examples
    --------
    >>> run_bounded("pathgrad.grade.folders:explained_request", {"file": "seed", "leaf": "w1"})
    '-w2*x1 - w3*x2'
    """
    limits = limits or active()
    request = {"target": target, "payload": payload, "limits": limits.as_dict()}
    return _answer(_run_worker(request, limits, file), limits, file)


def _run_worker(request, limits, file):
    """Run the worker on ``request`` in an empty folder; the finished process.

    Forked from this process's fork server where there is one (POSIX), else a fresh Python.
    """
    package_parent = str(Path(__file__).resolve().parents[2])  # the folder holding pathgrad/
    env = {key: os.environ[key] for key in WORKER_ENVIRONMENT if key in os.environ}
    with tempfile.TemporaryDirectory(prefix="pathgrad-worker-") as folder:
        if use_fork_server and forkserver.available():
            server = forkserver.client([sys.executable, "-I", "-c", _SERVER, package_parent], env)
            try:
                status, out, err = server.run(request, folder, env, limits.wall_time_seconds)
                return subprocess.CompletedProcess(_SERVER, status, out, err)
            except subprocess.TimeoutExpired:
                raise _stopped_process("time", limits, file) from None
            except forkserver.ServerGone:
                pass  # a fresh Python instead
        return _run_fresh(request, limits, file, folder, [package_parent], env)


def _run_fresh(request, limits, file, folder, argv, env):
    """The worker as a fresh Python: ``python -I -c _WORKER PATHGRAD_PARENT``."""
    # its own session, so that a timeout stops what it started too (Graphviz's dot)
    worker = subprocess.Popen(
        [sys.executable, "-I", "-c", _WORKER, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=folder,
        start_new_session=True,
    )
    try:
        out, err = worker.communicate(
            json.dumps(request).encode("utf-8"), timeout=limits.wall_time_seconds
        )
    except subprocess.TimeoutExpired:
        _kill_session(worker)
        raise _stopped_process("time", limits, file) from None
    finally:
        if worker.poll() is None:  # interrupted (Ctrl-C): nothing is left running
            _kill_session(worker)
    return subprocess.CompletedProcess(worker.args, worker.returncode, out, err)


def _answer(done, limits, file):
    """What the finished worker said: its result, or its error raised again here."""
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    try:
        answer = json.loads(stdout)
    except ValueError:
        answer = {"memory": True} if "MemoryError" in stderr else {}
    if "result" in answer:
        return answer["result"]
    if "error" in answer:
        kind, message, where, line = answer["error"]
        raise getattr(errors, kind, errors.PathgradError)(message, file=where, line=line)
    if "memory" in answer:
        raise _stopped_process("memory", limits, file)
    if "stopped" in answer:
        what, name, value = answer["stopped"]
        raise Stopped(
            f"stopped in --safe mode: {what} (limit: {name} = {value})", "limit", file=file
        )
    if done.returncode in (-24, 128 + 24):  # SIGXCPU: the CPU-time backstop
        raise _stopped_process("time", limits, file)
    last = (stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"the safe-mode worker failed (exit {done.returncode}): {last}")


def _kill_session(worker):
    """Stop a worker and every process it started (its session), then reap it."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # already gone, or no process groups (Windows)
        worker.kill()
    worker.communicate()


def _stopped_process(kind, limits, file):
    if kind == "time":
        what = f"still running after {limits.wall_time_seconds:g} s"
        field = "wall_time_seconds"
    else:
        what, field = "out of memory", "memory_mib"
    return Stopped(
        f"stopped in --safe mode: {what} (limit: {field} = {getattr(limits, field):g})",
        kind,
        file=file,
    )
