"""A fork server: safe-mode workers forked from one Python that has already imported sympy.

Starting a Python and importing sympy and networkx is most of a worker's time (about
0.6 s of the 0.7 s a small file takes). The fork server is started once per pathgrad
process, exactly as a worker was (``python -I``, the worker's environment, an empty
folder, pathgrad imported from the folder that holds it, see
:data:`pathgrad.safe.worker.WORKER_PROGRAM`), imports what every job needs, and then
forks one child per job (the technique of :mod:`multiprocessing`'s ``forkserver``). A
child is the worker: its own session, its own empty folder, the job's environment, its
bounds (``RLIMIT_AS``, ``RLIMIT_CPU``) set before the job runs; it writes the job's
answer to a file in its folder and exits. Nothing of a student's runs in the server, so
every child starts from the same clean state, and one student's file never sees another's.

The protocol is one JSON object a line. The parent writes ``{"id", "request", "folder",
"env"}``; the server answers ``{"id", "pid"}`` once it has forked, and ``{"id",
"status"}`` (``subprocess``'s return code: the exit status, or minus the signal) when
the child has ended. POSIX only (``os.fork``); elsewhere each job starts a fresh Python.
"""

import atexit
import itertools
import json
import math
import os
import select
import signal
import subprocess
import tempfile
import threading

try:
    import resource
except ImportError:  # not POSIX: no fork server (see available)
    resource = None

#: What every job needs, imported once in the server (the targets of ``run_bounded``).
PRELOAD = ("pathgrad.cli_requests", "pathgrad.grade.folders", "pathgrad.grade.file_checks")


def serve_forks(serve, stdin=0, stdout=1):
    """In the server: fork a child for each job read from ``stdin``; report on ``stdout``.

    ``serve(request)`` runs one job in the child and returns its answer as JSON text.
    Returns when ``stdin`` ends (the parent is gone), after stopping every child left.
    """
    for module in PRELOAD:
        __import__(module)
    children, pending = {}, b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.02)
        if ready:
            chunk = os.read(stdin, 1 << 16)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                job = json.loads(line)
                pid = _fork(job, serve)
                children[pid] = job["id"]
                _say(stdout, {"id": job["id"], "pid": pid})
        _reap(children, stdout)
    for pid in children:
        _kill_group(pid)


def _fork(job, serve):
    """Fork the child for ``job``; in the child, run it and never return.

    Returns once the child leads a session of its own, so that a stop of its group (the
    parent's :meth:`Client.run` after the time bound) never misses what it starts.
    """
    ready, told = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(ready)
            os.setsid()
            os.close(told)
            _run_child(job, serve)
            status = 0
        finally:
            os._exit(status)
    os.close(told)
    os.read(ready, 1)  # empty when the child has closed its end: after setsid
    os.close(ready)
    return pid


def _run_child(job, serve):
    """In the child: isolate, bound, run the job, write its answer to ``stdout`` there."""
    os.chdir(job["folder"])
    os.environ.clear()
    os.environ.update(job["env"])
    _redirect(0, os.devnull, os.O_RDONLY)
    _redirect(1, "stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _redirect(2, "stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    bound(job["request"]["limits"])
    try:
        answer = serve(job["request"])
    except MemoryError:
        answer = json.dumps({"memory": True})
    os.write(1, answer.encode("utf-8"))


def bound(limits):
    """Bound this process's address space and CPU time by ``limits`` (a ``Limits`` dict)."""
    memory = int(limits["memory_mib"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = math.ceil(limits["wall_time_seconds"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def _redirect(fd, path, flags):
    opened = os.open(path, flags, 0o600)
    os.dup2(opened, fd)
    os.close(opened)


def _reap(children, stdout):
    """Report every child that has ended."""
    while children:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        status = os.waitstatus_to_exitcode(wait_status)
        _say(stdout, {"id": children.pop(pid), "status": status})


def _say(stdout, message):
    os.write(stdout, (json.dumps(message) + "\n").encode("utf-8"))


def _kill_group(pid):
    if pid <= 0:  # never the caller's own group, nor every process
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # already gone
        pass


# -- the parent's side ------------------------------------------------------------------------
def available():
    """True where a fork server can run (POSIX: ``os.fork`` and ``resource``)."""
    return hasattr(os, "fork") and resource is not None


class ServerGone(Exception):
    """The fork server ended (or never started) before the job's child ended."""


class _Job:
    def __init__(self):
        self.pid = self.status = None
        self.done = threading.Event()


class Client:
    """One fork server, started with ``args`` in ``env``, and the jobs it is running.

    Thread-safe: :func:`pathgrad.grade` runs several students' files at once.
    """

    def __init__(self, args, env):
        self._folder = tempfile.TemporaryDirectory(prefix="pathgrad-forkserver-")
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=self._folder.name,
            start_new_session=True,  # Ctrl-C reaches pathgrad, which stops the job's child
        )
        self._jobs, self._ids, self._lock = {}, itertools.count(), threading.Lock()
        self._gone = False
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def alive(self):
        return self.process.poll() is None

    def run(self, request, folder, env, timeout):
        """Run one job in a child with ``folder`` as its own; ``(status, stdout, stderr)``.

        Raises
        ------
        subprocess.TimeoutExpired
            The child still ran after ``timeout`` seconds; it and what it started are
            stopped.
        ServerGone
            The server ended first (the caller starts a fresh worker instead).
        """
        job, line = _Job(), {"request": request, "folder": folder, "env": env}
        with self._lock:
            if self._gone:
                raise ServerGone()
            line["id"] = job_id = next(self._ids)
            self._jobs[job_id] = job
            try:
                self.process.stdin.write((json.dumps(line) + "\n").encode("utf-8"))
                self.process.stdin.flush()
            except OSError:
                raise ServerGone() from None
        try:
            if not job.done.wait(timeout):
                raise subprocess.TimeoutExpired("pathgrad worker", timeout)
        finally:
            self._forget(job_id)
        if job.status == "gone":
            raise ServerGone()
        return job.status, _read(folder, "stdout"), _read(folder, "stderr")

    def _forget(self, job_id):
        """Done with a job; if its child still runs (timed out, Ctrl-C), stop its session."""
        with self._lock:
            job = self._jobs[job_id]
            if job.status is None and job.pid is None:
                del self._jobs[job_id]  # not forked yet: stopped when the server says it is
                return
        if job.status is None:
            _kill_group(job.pid)
            job.done.wait(5)  # reaped by the server: nothing of it is left
        with self._lock:
            self._jobs.pop(job_id, None)

    def _read(self):
        for line in self.process.stdout:
            message = json.loads(line)
            with self._lock:
                job = self._jobs.get(message["id"])
                if job is None:  # given up before it was forked
                    _kill_group(message.get("pid", 0))
                elif "pid" in message:
                    job.pid = message["pid"]
                else:
                    job.status = message["status"]
                    job.done.set()
        with self._lock:  # the server is gone: so are the jobs it still had
            self._gone = True
            for job in self._jobs.values():
                if job.status is None:
                    job.status = "gone"
                job.done.set()

    def close(self):
        """End the server: its input ends, so it stops what it still runs and exits."""
        try:
            self.process.stdin.close()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            _kill_group(self.process.pid)
        self._folder.cleanup()


_client, _client_lock = None, threading.Lock()


def client(args, env):
    """The fork server of this process, started (again) with ``args`` and ``env`` if needed."""
    global _client
    with _client_lock:
        if _client is None or not _client.alive:
            _client = Client(args, env)
            atexit.register(_client.close)
        return _client


def _read(folder, name):
    try:
        with open(os.path.join(folder, name), "rb") as file:
            return file.read()
    except OSError:
        return b""
