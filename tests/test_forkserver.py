"""The fork server: every safe-mode worker forked from one Python that imported sympy once.

Each child must be what a fresh worker was: its own session, folder, environment and
bounds, nothing left of the job before it; and when the server is gone, a fresh Python
does the job instead. ``run_bounded`` is checked with both kinds of worker.
"""

import contextlib
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pathgrad.safe.worker as worker
from pathgrad.errors import LoadError, Stopped
from pathgrad.safe import forkserver
from pathgrad.safe.limits import Limits
from pathgrad.safe.worker import run_bounded

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not forkserver.available(), reason="no os.fork here")

#: A server whose job reports what the child sees, and leaves a mark in its own memory
#: that the next child must not see.
PROBE = f"""
import json, os, resource, sys
sys.path.insert(0, {str(ROOT)!r})
from pathgrad.safe.forkserver import serve_forks
marks = []
def probe(request):
    marks.append(request["payload"])
    return json.dumps({{
        "env": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid(),
        "session": os.getsid(0), "marks": marks,
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "stdin": os.read(0, 10).decode(),
    }})
serve_forks(probe, )
"""
LIMITS = Limits(memory_mib=700, wall_time_seconds=5).as_dict()


@pytest.fixture
def probe():
    client = forkserver.Client([sys.executable, "-c", PROBE], {"PATH": os.environ["PATH"]})
    yield client
    client.close()


def _run(client, tmp_path, payload, env):
    folder = tmp_path / str(payload)
    folder.mkdir()
    request = {"payload": payload, "limits": LIMITS}
    status, out, err = client.run(request, str(folder), env, 30)
    assert status == 0, err
    return json.loads(out), folder


def test_each_child_has_its_own_folder_environment_session_and_bounds(probe, tmp_path):
    first, folder = _run(probe, tmp_path, 1, {"PATH": "/bin", "LANG": "C"})
    second, _ = _run(probe, tmp_path, 2, {"PATH": "/usr/bin"})
    assert first["cwd"] == str(folder)
    assert (first["env"], second["env"]) == ({"PATH": "/bin", "LANG": "C"}, {"PATH": "/usr/bin"})
    assert first["session"] == first["pid"] != second["pid"]  # its own session: killed whole
    assert first["memory"] == 700 * 1024 * 1024
    assert first["stdin"] == ""  # not the server's requests
    # nothing of one job is left for the next: each child starts from the server as it was
    assert (first["marks"], second["marks"]) == ([1], [2])


def test_jobs_from_several_threads_each_get_their_own_answer(probe, tmp_path):
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda n: _run(probe, tmp_path, n, {})[0]["marks"], range(12)))
    assert answers == [[n] for n in range(12)]


@pytest.fixture
def sleeper():
    """A server whose job with payload 0 starts a ``sleep`` of this test's own and waits."""
    sleep = f"sleep 60.{os.getpid()}{threading.get_ident() % 1000}"
    job = f"lambda r: os.system({sleep!r}) if r['payload'] == 0 else json.dumps({{}})"
    program = PROBE.replace("serve_forks(probe, )", f"serve_forks({job})")
    client = forkserver.Client([sys.executable, "-c", program], {"PATH": os.environ["PATH"]})
    yield client, sleep
    client.close()


def test_a_job_past_its_time_is_stopped_with_its_whole_session(sleeper, tmp_path):
    client, sleep = sleeper
    _run(client, tmp_path, 1, {})  # the server is up
    with pytest.raises(forkserver.subprocess.TimeoutExpired):
        client.run({"payload": 0, "limits": LIMITS}, str(tmp_path), dict(os.environ), 0.5)
    assert _gone_soon(sleep)  # the child and the sleep it started
    assert _run(client, tmp_path, 2, {})[0] == {}  # the server serves the next job


def test_a_job_given_up_before_it_was_forked_is_stopped_when_it_is(sleeper, tmp_path):
    client, sleep = sleeper  # still importing sympy: the job is forked after its time
    with pytest.raises(forkserver.subprocess.TimeoutExpired):
        client.run({"payload": 0, "limits": LIMITS}, str(tmp_path), dict(os.environ), 0.001)
    _run(client, tmp_path, 1, {})  # the server has forked (and said so) the job before
    assert _gone_soon(sleep)


def _gone_soon(command, seconds=20):
    """True once no process runs ``command`` (SIGKILL is not instant on a loaded machine)."""
    for _ in range(int(seconds / 0.05)):
        if not _running(command):
            return True
        threading.Event().wait(0.05)
    return False


def _running(command):
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == command.encode():
                return True
    return False


@pytest.fixture(params=["fork server", "fresh Python"])
def kind(request, monkeypatch):
    monkeypatch.setattr(worker, "use_fork_server", request.param == "fork server")
    return request.param


def test_run_bounded_answers_alike_from_both_kinds_of_worker(kind, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "json.py").write_text("raise SystemExit('a student json.py ran')\n")
    payload = {"file": "seed", "leaf": "w1"}
    assert run_bounded("pathgrad.grade.folders:explained_request", payload) == "-w2*x1 - w3*x2"
    with pytest.raises(LoadError, match="call to open"):
        path = str(ROOT / "tests" / "corpus" / "open_write.py")
        run_bounded("pathgrad.grade.folders:explained_request", {"file": path, "leaf": "x"})
    with pytest.raises(Stopped, match=r"out of memory \(limit: memory_mib = 30\)"):
        run_bounded("pathgrad.grade.folders:explained_request", payload, Limits(memory_mib=30))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["json.py"]


def test_a_server_that_is_gone_is_started_again():
    payload = {"file": "seed", "leaf": "w2"}
    assert run_bounded("pathgrad.grade.folders:explained_request", payload) == "-w1*x1"
    if forkserver._client is not None:
        forkserver._client.process.kill()
        forkserver._client.process.wait()
    assert run_bounded("pathgrad.grade.folders:explained_request", payload) == "-w1*x1"


def test_a_job_whose_server_ends_under_it_is_run_by_a_fresh_python(tmp_path, monkeypatch):
    """The server killed while a job runs: the job is done again in a fresh Python."""
    calls = []
    fresh = worker._run_fresh
    monkeypatch.setattr(worker, "_run_fresh", lambda *a: calls.append(a) or fresh(*a))
    slow = tmp_path / "slow.py"
    slow.write_text("w = 1.0\nfor i in range(30000):\n    k = i * 2\nL = w * 3\n")
    payload = {"file": str(slow), "leaf": "w"}
    answer = []
    job = threading.Thread(
        target=lambda: answer.append(
            run_bounded("pathgrad.grade.folders:explained_request", payload)
        )
    )
    server = forkserver.client(
        [sys.executable, "-I", "-c", worker._SERVER, str(ROOT)], {"PATH": os.environ["PATH"]}
    )
    job.start()
    while not any(j.pid for j in list(server._jobs.values())):  # forked: about 1 s to go
        threading.Event().wait(0.005)
    server.process.kill()
    job.join(60)
    assert answer == ["3"]
    assert len(calls) == 1
