"""The notebooks: committed with their outputs, and still true when run again from scratch.

Each notebook is executed by nbclient in a fresh kernel, as a copy in a temporary folder (the
repository is never written to), with a time limit per cell; any error, a failing ``assert``
cell included, fails the test. The text each cell prints must still be the text committed
with it, except in cells tagged ``volatile`` (timings) and, where PyTorch is missing, cells
tagged ``torch``. To refresh a notebook after a deliberate change, run it again and save it
with its outputs, e.g. ``jupyter nbconvert --to notebook --execute --inplace NOTEBOOK``.
"""

import importlib.util
import os
import re
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01_seed_walkthrough.ipynb",
    "02_neuron_and_network.ipynb",
    "03_why_backprop_is_fast.ipynb",
    "04_pytorch_semantics.ipynb",
    "05_from_scalars_to_matrices.ipynb",
]
CELL_TIMEOUT = 120  # seconds for one cell
NOTEBOOK_BUDGET = 90  # seconds for a whole notebook (they take well under 30 s)
HAVE_TORCH = importlib.util.find_spec("torch") is not None

nbformat = pytest.importorskip(
    "nbformat", reason='nbformat is not installed: pip install ".[test]" to test the notebooks'
)


def load(name):
    return nbformat.read(str(NOTEBOOKS / name), as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def tags(cell):
    return set(cell.metadata.get("tags", []))


def same_everywhere(text):
    """Text without what changes from run to run: memory addresses in reprs."""
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x…", text)


def texts(cell):
    """What a cell showed as text: its printed streams and its plain-text results, in order.

    Standard error is left out: libraries write warnings there that depend on the machine
    (PyTorch without NumPy, for one), and a notebook's story is on standard output.
    """
    out = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            continue
        if output.output_type == "stream":  # a stream may arrive in pieces: join them
            if out and out[-1][0] == output.name:
                out[-1] = (output.name, out[-1][1] + same_everywhere(output.text))
            else:
                out.append((output.name, same_everywhere(output.text)))
        elif output.output_type in ("execute_result", "display_data"):
            out.append(
                (
                    output.output_type,
                    same_everywhere(output.data.get("text/plain", "")),
                    tuple(sorted(output.data)),
                )
            )
        elif output.output_type == "error":
            out.append(("error", output.ename, output.evalue))
    return out


def test_every_notebook_is_there():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_committed_with_its_outputs(name):
    notebook = load(name)
    nbformat.validate(notebook)
    cells = code_cells(notebook)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), "not run top to bottom in one go"
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    shown = [cell for cell in cells if cell.outputs]
    assert len(shown) >= len(cells) // 2
    pictures = [
        o
        for cell in cells
        for o in cell.outputs
        if o.output_type in ("display_data", "execute_result")
        and ("image/svg+xml" in o.data or "text/html" in o.data)
    ]
    assert pictures, "no graph or table was saved"
    assert notebook.metadata.kernelspec.name == "python3"


def execute(name, folder, monkeypatch, path_first=()):
    """Run a copy of the notebook in ``folder`` in a fresh kernel; return it and the time taken.

    The kernel imports this checkout's pathgrad (installed or not), after ``path_first``.
    """
    pytest.importorskip("nbclient", reason='nbclient is not installed: pip install ".[test]"')
    pytest.importorskip("ipykernel", reason='ipykernel is not installed: pip install ".[test]"')
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    copy = folder / name
    shutil.copy(NOTEBOOKS / name, copy)
    notebook = nbformat.read(str(copy), as_version=4)
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(str(p) for p in (*path_first, ROOT, os.environ.get("PYTHONPATH")) if p),
    )
    before = {p: p.stat().st_mtime_ns for p in NOTEBOOKS.iterdir()}
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{name}: a cell failed when run again:\n{err}")
    elapsed = time.perf_counter() - start
    assert {p: p.stat().st_mtime_ns for p in NOTEBOOKS.iterdir()} == before, (
        "running a notebook wrote into the repository"
    )
    return notebook, elapsed


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_from_scratch_and_still_says_the_same(name, tmp_path, monkeypatch):
    notebook, elapsed = execute(name, tmp_path, monkeypatch)
    assert elapsed < NOTEBOOK_BUDGET, f"{name} took {elapsed:.0f} s"
    committed = load(name)

    fresh, saved = code_cells(notebook), code_cells(committed)
    assert [c.source for c in fresh] == [c.source for c in saved]
    for number, (now, then) in enumerate(zip(fresh, saved), 1):
        if "volatile" in tags(then) or ("torch" in tags(then) and not HAVE_TORCH):
            continue
        assert texts(now) == texts(then), (
            f"{name}, code cell {number}: the output no longer matches the committed one; "
            f"run the notebook again and save it with its outputs"
        )


@pytest.mark.parametrize(
    "name", [n for n in EXPECTED if any("torch" in tags(cell) for cell in code_cells(load(n)))]
)
def test_notebook_runs_without_pytorch(name, tmp_path, monkeypatch):
    """With PyTorch out of reach, its cells say they are skipped and the rest still runs."""
    hidden = tmp_path / "no_torch"
    hidden.mkdir()
    (hidden / "torch.py").write_text('raise ImportError("PyTorch is hidden by the test")\n')
    notebook, _ = execute(name, tmp_path, monkeypatch, path_first=[hidden])
    for cell in code_cells(notebook):
        if "torch" in tags(cell):
            printed = "".join(o.get("text", "") for o in cell.outputs)
            assert "skipped" in printed, cell.source
