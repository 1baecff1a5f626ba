"""Executing a parameterised pack notebook with papermill on a kernel kept warm between packs.

:class:`PackRunner` executes one notebook per call through ``papermill.execute_notebook`` (so
papermill parameterises it and records its metadata), on a kernel that is started once and kept
warm between packs: the papermill engine ``desk-warm`` registered here hands the same kernel to
every run, and the runner clears the kernel's namespace between packs. Imported modules stay
loaded, which is what makes the second pack cheap.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.execute import execute_notebook
from papermill.log import logger

from analysis.publish import disk_full

ENGINE_NAME = "desk-warm"
# Kernel command-line options. IPython's input history goes to one SQLite file shared by every
# kernel: two workers writing it at once cost time per cell and can print "Session/line number
# was not unique in database" into a pack. A pack notebook needs no history across sessions.
KERNEL_ARGS = ["--HistoryManager.enabled=False"]
# Clears what a pack defined (user names, output history) and restarts the cell count; kernel
# start-up names and imported modules stay. Cheaper than `%reset -f`, whose full gc.collect() costs
# about a second per pack once pandas, polars and altair are loaded. One expression: leaves no name.
_RESET_CODE = (
    "(lambda ip: ("
    "[ip.user_ns.pop(k, None) for k in [k for k in list(ip.user_ns)"
    " if k not in ip.user_ns_hidden and not k.startswith('__')]],"
    " ip.user_ns['Out'].clear(), ip.history_manager.output_hist.clear(),"
    " setattr(ip, 'execution_count', 1)))(get_ipython())"
)


class WarmKernel:
    """A kernel manager and client kept alive across notebook runs (one per worker process)."""

    def __init__(self) -> None:
        self.km: Any = None
        self.kc: Any = None
        self._sockets: str | None = None

    def new_manager(self, kernel_name: str) -> Any:
        """A manager for a new kernel on IPC sockets in a private folder (no TCP port, no clash)."""
        from jupyter_client import AsyncKernelManager

        from analysis.kernelspec import ProjectKernelSpecs

        self._sockets = tempfile.mkdtemp(prefix="desk-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=kernel_name,
            kernel_spec_manager=ProjectKernelSpecs(),  # the project kernel is this interpreter
            transport="ipc",
            ip=str(Path(self._sockets) / "k"),
        )
        self.kc = None
        return self.km

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        if self.km is None or self.kc is None or not self.km.has_kernel:
            return False
        return bool(run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        """Stop the kernel (called when the worker ends)."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        if self._sockets:
            shutil.rmtree(self._sockets, ignore_errors=True)
        self.km = self.kc = self._sockets = None


class WarmKernelEngine(Engine):
    """Papermill engine that executes on the :class:`WarmKernel` passed as ``warm_kernel``.

    The first run starts the kernel; later runs reuse it. Execution itself is papermill's own
    client (``PapermillNotebookClient``), so cell metadata, error markers and saving are papermill's.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        warm_kernel: WarmKernel | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        warm = warm_kernel or WarmKernel()
        if not warm.alive():
            warm.shutdown()
            warm.new_manager(kernel_name)
        client = PapermillNotebookClient(
            nb_man,
            km=warm.km,  # not owned by the client: it neither starts a second one nor shuts it down
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=logger,
            log_output=log_output,
            extra_arguments=list(KERNEL_ARGS),  # used when this run has to start the kernel
        )
        client.kc = warm.kc
        try:
            return client.execute()
        finally:
            warm.kc = client.kc


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one notebook run."""

    ok: bool
    seconds: float
    error: str = ""
    notebook: NotebookNode | None = None


class PackRunner:
    """Executes notebooks one after another on one warm kernel (use one per worker process)."""

    def __init__(self, execution_timeout: int = 300) -> None:
        self.kernel = WarmKernel()
        self.execution_timeout = execution_timeout

    def warm_up(self, notebook: Path, extra_code: str = "") -> None:
        """Start the kernel and run the notebook's import lines in it, then clear the namespace.

        Lets a worker pay its kernel start and heavy imports while the main process is still
        preparing the inputs; ``extra_code`` (run after the imports) may pay other one-off costs
        (e.g. a chart renderer's start-up). Failures are ignored: the first pack then pays (and
        reports) them.
        """
        from jupyter_client import AsyncKernelManager  # noqa: F401  (import cost paid here too)
        from jupyter_core.utils import run_sync

        try:
            nb = nbformat.read(notebook, as_version=4)
            code = notebook_imports(nb)
            kernel_name = nb.metadata.get("kernelspec", {}).get("name", "python3")
            km = self.kernel.new_manager(kernel_name)
            run_sync(km.start_kernel)(cwd=str(notebook.parent), extra_arguments=list(KERNEL_ARGS))
            kc = km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=120)
            kc.allow_stdin = False
            self.kernel.kc = kc
            for snippet in (code, extra_code):
                if snippet:
                    run_sync(kc.execute_interactive)(
                        snippet, silent=True, store_history=False, timeout=300, allow_stdin=False
                    )
        except Exception:
            self.kernel.shutdown()
            return
        self._reset()

    def run(
        self, notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path | None = None
    ) -> RunOutcome:
        """Parameterise and execute ``notebook`` into ``output`` (kept even when a cell fails)."""
        start = time.perf_counter()
        output.parent.mkdir(parents=True, exist_ok=True)
        # papermill writes in place: an earlier run's notebook here may be a hard link shared with
        # the previous generation (analysis.publish), and is never this run's record anyway
        output.unlink(missing_ok=True)
        try:
            nb = execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                engine_name=ENGINE_NAME,
                progress_bar=False,
                request_save_on_cell_execute=False,
                cwd=str(cwd) if cwd else None,
                execution_timeout=self.execution_timeout,
                warm_kernel=self.kernel,
            )
            outcome = RunOutcome(True, time.perf_counter() - start, notebook=nb)
        except PapermillExecutionError as exc:
            # papermill has already written the executed notebook, error included
            outcome = RunOutcome(False, time.perf_counter() - start, f"{exc.ename}: {exc.evalue}")
        except Exception as exc:  # kernel died, timeout, unreadable notebook: the pack fails alone
            if disk_full(exc):  # ...unless the machine is out of room: that stops the run
                raise
            outcome = RunOutcome(
                False, time.perf_counter() - start, f"{type(exc).__name__}: {exc}".strip()
            )
            if not output.exists():
                _write_failure_record(notebook, output, parameters, outcome.error)
        self._reset()
        return outcome

    def _reset(self) -> None:
        """Clear the user namespace so the next pack starts clean; restart a dead kernel later."""
        if not self.kernel.alive():
            self.kernel.shutdown()
            return
        from jupyter_core.utils import run_sync

        try:
            reply = run_sync(self.kernel.kc.execute_interactive)(
                _RESET_CODE, silent=True, store_history=False, timeout=30, allow_stdin=False
            )
            if reply["content"]["status"] != "ok":
                raise RuntimeError(reply["content"].get("evalue", "reset failed"))
        except Exception:  # a kernel that cannot reset is replaced before the next pack
            self.kernel.shutdown()

    def close(self) -> None:
        self.kernel.shutdown()


def notebook_imports(nb: NotebookNode) -> str:
    """The top-level ``import``/``from … import`` lines of a notebook's code cells."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if re.match(
                r"(import\s+\w|from\s+[\w.]+\s+import\s)", line
            ) and not line.rstrip().endswith(("(", "\\")):
                lines.append(line.rstrip())
    return "\n".join(lines)


def _write_failure_record(
    notebook: Path, output: Path, parameters: dict[str, Any], error: str
) -> None:
    """Keep a record of a run that stopped before papermill could write the executed notebook
    (a cell timeout, a kernel that died): the input notebook, the parameters and the error."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:
        nb = nbformat.v4.new_notebook()
    note = nbformat.v4.new_markdown_cell(
        f"**Eksekusi gagal** (parameter: `{parameters}`):\n\n```\n{error}\n```"
    )
    note.metadata["tags"] = ["desk-execution-failure"]
    nb.cells.insert(0, note)
    nb.metadata.setdefault("papermill", {}).update(
        {"parameters": parameters, "exception": True, "error": error}
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output)
