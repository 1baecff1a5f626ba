"""The project kernel ``desk-pilkada``: the Python that has ``analysis``, as Jupyter finds it.

Every notebook in ``notebooks/`` declares it in its metadata (:data:`NOTEBOOK_KERNELSPEC`), so
JupyterLab opens it with this kernel, not with the lab environment's own Python (which has no
``analysis``). Two ways to start it:

- JupyterLab (``make lab``): :func:`install` registers the kernel into the lab environment's prefix
  (``.venv-lab/share/jupyter/kernels/desk-pilkada``), pointing at ``.venv``'s interpreter; Jupyter
  finds kernels under ``<sys.prefix>/share/jupyter/kernels`` of the process that looks, so Lab sees
  it without ``JUPYTER_PATH``.
- A process that already runs the project's code (the daily brief's pack runner): no registration
  is needed, :class:`ProjectKernelSpecs` answers the name with the running interpreter, so a fresh
  clone's ``make daily-brief`` runs the packs on the code it was started from.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

KERNEL_NAME = "desk-pilkada"
DISPLAY_NAME = "Desk Pilkada (analysis)"
#: What every notebook of the project carries as ``metadata.kernelspec``.
NOTEBOOK_KERNELSPEC: dict[str, str] = {
    "name": KERNEL_NAME,
    "display_name": DISPLAY_NAME,
    "language": "python",
}


def kernel_dict(executable: str | None = None) -> dict[str, Any]:
    """The kernel.json of the project kernel for ``executable`` (default: this interpreter)."""
    from ipykernel.kernelspec import get_kernel_dict, make_ipkernel_cmd

    spec = get_kernel_dict()
    spec["argv"] = make_ipkernel_cmd(executable=executable or sys.executable)
    spec["display_name"] = DISPLAY_NAME
    return spec


def install(prefix: Path | str) -> Path:
    """Register the project kernel for this interpreter under ``<prefix>/share/jupyter/kernels``
    (replacing an older registration); returns its folder."""
    from ipykernel.kernelspec import install as install_kernel

    folder = install_kernel(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME, prefix=str(prefix))
    return Path(folder)


class ProjectKernelSpecs(KernelSpecManager):
    """Kernel specs as Jupyter finds them, except that :data:`KERNEL_NAME` is always this
    interpreter (for a process that runs the project's code and starts kernels itself)."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name != KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        from ipykernel.kernelspec import RESOURCES

        return self.kernel_spec_class(resource_dir=RESOURCES, **kernel_dict())
