"""Notebook kernels that run this very Python, for the batch (papermill) and the app (Voila).

The packaged notebooks import kotaku_decide, so their kernel must be the Python that runs the command:
the first ``python3`` kernelspec on the Jupyter path may belong to another environment (a user-wide
kernelspec, a source checkout's ``.venv``), which would import another copy of kotaku_decide, or none.
:class:`ThisPythonKernelSpecs` resolves ``python3`` to ipykernel's own spec for ``sys.executable``, as
Jupyter does when no ``python3`` kernelspec is installed; other kernel names resolve as usual.
"""

from __future__ import annotations

from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec, KernelSpecManager

__all__ = ["ThisPythonKernelSpecs", "KERNEL_NAME"]

#: The kernel name the notebooks are run with.
KERNEL_NAME = NATIVE_KERNEL_NAME


class ThisPythonKernelSpecs(KernelSpecManager):
    """Kernelspecs with ``python3`` always started as ``sys.executable -m ipykernel_launcher``."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        """The spec of ``kernel_name``; for ``python3`` the running interpreter's.

        Parameters
        ----------
        kernel_name : str
            Kernel name, e.g. ``python3``.

        Returns
        -------
        KernelSpec
            Its ``argv[0]`` is ``sys.executable`` for ``python3``.
        """
        if kernel_name == NATIVE_KERNEL_NAME:
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)

    def get_all_specs(self) -> dict:
        """Every kernelspec found, ``python3`` replaced by the running interpreter's (Voila lists them).

        Returns
        -------
        dict
            Kernel name -> ``{"resource_dir": str, "spec": dict}``.
        """
        specs = super().get_all_specs()
        spec = self.get_kernel_spec(NATIVE_KERNEL_NAME)
        specs[NATIVE_KERNEL_NAME] = {"resource_dir": spec.resource_dir, "spec": spec.to_dict()}
        return specs
