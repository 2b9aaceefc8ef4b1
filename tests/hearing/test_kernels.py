"""Notebook kernels run this very Python: a python3 kernelspec of another environment is not used."""

import json
import sys

import pytest

from kotaku_decide.hearing.kernels import ThisPythonKernelSpecs


@pytest.fixture
def decoy(tmp_path, monkeypatch):
    """A python3 kernelspec of another environment (whose Python does not exist) first on the Jupyter path."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    elsewhere = str(tmp_path / "elsewhere" / "bin" / "python")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [elsewhere, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "another environment's Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == elsewhere  # what a plain lookup finds
    return elsewhere


def test_python3_is_this_interpreter_in_every_lookup(decoy):
    ksm = ThisPythonKernelSpecs()
    spec = ksm.get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable and "ipykernel_launcher" in spec.argv and spec.language == "python"
    listed = ksm.get_all_specs()["python3"]["spec"]
    assert listed["argv"][0] == sys.executable and listed["language"] == "python"


def test_the_app_gives_voila_this_kernelspec_manager(tmp_path):
    from voila.app import Voila
    from voila.configuration import VoilaConfiguration

    from kotaku_decide.hearing.app import voila_argv

    app = Voila()
    app.parse_command_line(voila_argv(tmp_path / "explorer.ipynb"))
    assert VoilaConfiguration(parent=app).kernel_spec_manager_class is ThisPythonKernelSpecs
