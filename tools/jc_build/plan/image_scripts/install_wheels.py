"""Run by jcb inside the image it builds (jcb never imports it): installs the wheels named on the
command line into the image's Python environment, offline and without their dependencies.

When the interpreter is Python 3.10 or newer, its ``sysconfig`` default scheme (the one pip uses
there) installs into a directory on ``sys.path``, and none of the wheels' distributions is
installed yet, pypa/installer (staged next to this file) unpacks them there, writing RECORD,
scripts and bytecode like pip but without pip's start-up. Otherwise pip does it, which also
removes an installed version of the same distribution first.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_names():
    """Normalized names of the distributions installed on ``sys.path``."""
    names = set()
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if item.endswith((".dist-info", ".egg-info")):
                names.add(normalized(item[:item.rindex(".")].split("-")[0]))
    return names


def with_pip(wheels):
    os.environ["PIP_BREAK_SYSTEM_PACKAGES"] = "1"
    os.execv(sys.executable, [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", *wheels])


def with_installer(wheels, paths):
    sys.path.insert(0, HERE)
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    for wheel in wheels:
        with WheelFile.open(wheel) as source:
            scheme = {key: paths[key] for key in ("purelib", "platlib", "scripts", "data")}
            scheme["headers"] = os.path.join(paths["include"], source.distribution)
            destination = SchemeDictionaryDestination(scheme, interpreter=sys.executable, script_kind="posix",
                                                      bytecode_optimization_levels=(0,))
            install(source, destination, additional_metadata={"INSTALLER": b"jcb\n"})
            print(f"jcb: installed {os.path.basename(wheel)}")


def main(wheels):
    import sysconfig

    paths = sysconfig.get_paths()  # the default scheme, the one pip installs into
    on_path = paths["purelib"] in sys.path and paths["platlib"] in sys.path
    names = {normalized(os.path.basename(wheel).split("-")[0]) for wheel in wheels}
    if sys.version_info < (3, 10) or not on_path or names & installed_names():
        with_pip(wheels)
    with_installer(wheels, paths)


if __name__ == "__main__":
    main(sys.argv[1:])
