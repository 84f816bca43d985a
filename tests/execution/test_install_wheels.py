"""The wheel install step's script (``plan/image_scripts/install_wheels.py``), run as a layer runs
it, here in a fresh virtual environment of the host's Python (3.10 or newer, as jcb needs)."""

from __future__ import annotations

import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

from jc_build.errors import JcbError
from jc_build.execution.build_context import stage_installer
from jc_build.plan import wheel_installer

WHEEL = "demo_pkg-1.2-py3-none-any.whl"
FILES = {
    "demo_pkg/__init__.py": "def main():\n    print('hi')\n",
    "demo_pkg-1.2.dist-info/METADATA": "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2\n",
    "demo_pkg-1.2.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "demo_pkg-1.2.dist-info/entry_points.txt": "[console_scripts]\ndemo-cli = demo_pkg:main\n",
}


def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A venv without pip, the staged install files, and a wheel beside them."""
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    stage_installer(wheels)
    with zipfile.ZipFile(wheels / WHEEL, "w") as whl:
        for name, text in FILES.items():
            whl.writestr(name, text)
        whl.writestr("demo_pkg-1.2.dist-info/RECORD", "".join(f"{n},,\n" for n in FILES) + "demo_pkg-1.2.dist-info/RECORD,,\n")
    return env, wheels, next((env / "lib").glob("python3*/site-packages"))


def run(env: Path, wheels: Path) -> subprocess.CompletedProcess[str]:
    script = wheels / wheel_installer.DIR / "install_wheels.py"
    return subprocess.run([str(env / "bin" / "python"), str(script), str(wheels / WHEEL)],
                          capture_output=True, text=True, check=False)


def test_a_new_distribution_is_installed_by_installer_with_its_scripts_and_bytecode(tmp_path: Path) -> None:
    env, wheels, site = setup(tmp_path)
    proc = run(env, wheels)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"jcb: installed {WHEEL}\n"
    assert (site / "demo_pkg-1.2.dist-info" / "INSTALLER").read_text() == "jcb\n"
    assert (site / "demo_pkg" / "__pycache__").is_dir()
    out = subprocess.run([str(env / "bin" / "demo-cli")], capture_output=True, text=True, check=True).stdout
    assert out == "hi\n"


def test_an_installed_distribution_goes_to_pip_which_removes_it_first(tmp_path: Path) -> None:
    env, wheels, site = setup(tmp_path)
    (site / "Demo.Pkg-1.0.dist-info").mkdir()  # another spelling of the same name, as old installs have
    proc = run(env, wheels)
    assert proc.returncode != 0 and f"{Path(env / 'bin' / 'python')}: No module named pip" in proc.stderr
    assert not (site / "demo_pkg").exists()


def test_a_scheme_not_on_sys_path_goes_to_pip(tmp_path: Path) -> None:
    env, wheels, site = setup(tmp_path)
    script = wheels / wheel_installer.DIR / "install_wheels.py"
    # -S: no site-packages on sys.path, so the default scheme installs where the interpreter does not import from
    proc = subprocess.run([str(env / "bin" / "python"), "-S", str(script), str(wheels / WHEEL)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "No module named pip" in proc.stderr
    assert not (site / "demo_pkg").exists()


def test_a_missing_installer_package_is_one_line_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    wheel_installer.files.cache_clear()
    try:
        with pytest.raises(JcbError, match=r"^the Python package 'installer' .* missing: run scripts/setup.sh$"):
            wheel_installer.files()
    finally:
        wheel_installer.files.cache_clear()
