"""The wheel of //examples/cuda: jcb_cuda plus libjcb_cuda.so, which the build step compiled."""

from setuptools import setup

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1 (Debian bookworm): the wheel package's
    from wheel.bdist_wheel import bdist_wheel


class PlatformWheel(bdist_wheel):
    """``py3-none-<platform>``: the library is loaded with ctypes, it uses no Python ABI."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", super().get_tag()[2]


setup(
    name="jcb_cuda",
    version="1.0.0",
    packages=["jcb_cuda"],
    package_data={"jcb_cuda": ["libjcb_cuda.so"]},
    cmdclass={"bdist_wheel": PlatformWheel},
)
