"""Replacements for papermill.execute_notebook that batch workers import by name ("batch_helpers:NAME")."""

import os
import time


def flaky_execute(nb, out, **kw):
    """The scenario 'base' fails once at kernel start (retried by the batch); the others run normally."""
    import papermill

    if "/base-" in out.replace(os.sep, "/") and not os.path.exists(os.path.join(os.path.dirname(out), "retry.txt")):
        raise RuntimeError("Kernel died before replying to kernel_info")
    return papermill.execute_notebook(nb, out, **kw)


def slow_execute(nb, out, **kw):
    """Scenarios named slow* start a real kernel and then hang in a cell-like wait; others run normally."""
    import papermill

    if "/slow" in out.replace(os.sep, "/"):
        from jupyter_client.manager import start_new_kernel

        km, kc = start_new_kernel(kernel_name="python3")  # a real kernel the batch must end on SIGINT
        with open(os.path.join(os.path.dirname(out), "kernel.pid"), "w") as fh:
            fh.write(str(km.provisioner.process.pid))
        kc.execute("import time; time.sleep(3600)")
        time.sleep(3600)
    return papermill.execute_notebook(nb, out, **kw)
