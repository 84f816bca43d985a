"""The rules a BUILD.star file can call. Their schemas also generate docs/rules.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..labels import parse_label
from ..pins import command_requirements, floating_requirements
from .builtins import STEP_HELPERS
from .schema import (BOOL, CONSTRAINTS, DIST, ENV_DICT, ENV_STRINGS, IMAGES, INT, LABEL, LABEL_LIST, PYTHON_TAG,
                     SHA256, STEPS, STRING, STRING_DICT, STRING_LIST, Attr, RuleSchema)

# The build-context directory where the executor stages a layer's input wheels: no package file may use it.
WHEELS_CONTEXT_DIR = "wheels"
# ... and where it stages a wheel's fetched sources (``_sources/<n>``).
SOURCES_CONTEXT_DIR = "_sources"
LAYER_KINDS = ("container_layer",)
SOURCE_KINDS = ("git_repository", "http_archive")


def context_path(entry: str) -> str:
    """Where a ``files`` entry lands in the build context: its package-relative path, or, for another
    package's file (``//ml/mamba/causalconv1d:set_cuda_archs.py``), ``_pkgs/<package>/<file>``."""
    if entry.startswith("//"):
        label = parse_label(entry)
        return f"_pkgs/{label.package}/{Path(label.name).as_posix()}"
    return Path(entry).as_posix()


def _steps_problem(fields: Any) -> str | None:
    """An unknown step (a dict written by hand), or a ``copy()`` of a file not listed in ``files``."""
    listed = {context_path(f) for f in fields.files}
    for step in fields.steps:
        if step["op"] not in STEP_HELPERS:
            return f"unknown build step {step!r}; use {', '.join(f'{name}()' for name in STEP_HELPERS)}"
        if step["op"] == "copy" and context_path(step["src"]) not in listed:
            return (f"copy() source '{step['src']}' is not listed in files (only listed package files enter "
                    "the build context)")
    return None


def _context_clash(fields: Any, reserved: str) -> str | None:
    for entry in fields.files:
        rel = context_path(entry)
        if rel == reserved or rel.startswith(reserved + "/"):
            return (f"file '{rel}' would clash with the {reserved}/ directory jcb stages into the "
                    "build context; rename it")
    return None


def _floating_problem(fields: Any) -> str | None:
    """A pip requirement without an exact version, unless the target says why (``allow_floating``)."""
    if fields.allow_floating:
        return None
    for step in fields.steps:
        if step["op"] == "pip_install":
            loose, what = floating_requirements(step["packages"]), "pip_install()"
        elif step["op"] == "run":
            loose, what = floating_requirements(command_requirements(step["cmd"])), "run()'s pip install"
        else:
            continue
        if loose:
            return (f"{what} of {', '.join(repr(r) for r in loose)} does not pin an exact version "
                    "(name==version); pin it, or say why it may float: allow_floating = \"reason\"")
    return None


def _layer_problem(fields: Any) -> str | None:
    return (_context_clash(fields, WHEELS_CONTEXT_DIR) or _context_clash(fields, SOURCES_CONTEXT_DIR)
            or _floating_problem(fields) or _steps_problem(fields))


def _wheel_problem(fields: Any) -> str | None:
    if not fields.srcs and not fields.steps and not fields.dockerfile:
        return "wheel has no srcs and no steps: nothing to build"
    if fields.compile_slots < 1:
        return f"compile_slots = {fields.compile_slots}: a compile takes at least 1 slot"
    return _context_clash(fields, SOURCES_CONTEXT_DIR) or _floating_problem(fields) or _steps_problem(fields)


def _git_problem(fields: Any) -> str | None:
    if not fields.tag and not fields.commit:
        return "pins neither a tag nor a commit; a build needs a fixed source"
    return None

_COMMON = {
    "requires": Attr(CONSTRAINTS, "Platform constraints in jetson-containers' syntax: `'>=36'` (L4T), "
                     "`'==36.*'`, `'>=cu126'` (CUDA), `'>=py310'` (Python), `'24.04'` (Ubuntu release), "
                     "`'aarch64'`, or `'key>=value'` for l4t, cuda, cudnn, python, distro, jetpack, arch.",
                     default=list),
    "target_compatible_with": Attr(STRING_DICT, "Structured constraints: platform value name to specifier, "
                                   "e.g. `{\"cuda\": \">=12.6\", \"arch\": \"==aarch64\"}`.", default=dict),
    "package": Attr(STRING, "jetson-containers package name (default: the directory's name), "
                    "e.g. `pip_cache` for a target under `//cuda/cuda`."),
    "version": Attr(STRING, "The version this target provides, shown as `package:version`."),
    "notes": Attr(STRING, "Free text shown in the generated docs (e.g. the upstream URL)."),
    "incompatible_reason": Attr(STRING, "Why this target cannot be built for the platform (usually a select() "
                                "written by `jcb import`); when set, asking for the target is an analysis error "
                                "with this text, and wildcards skip it."),
    "visibility": Attr(STRING_LIST, "Accepted for Bazel familiarity; jcb does not restrict visibility.",
                       default=list),
}

_BUILD_INPUTS = {
    "steps": Attr(STEPS, "Build steps as data: `run()`, `copy()`, `env()`, `workdir()`, `apt_install()`, "
                  "`pip_install()`.", default=list),
    "dockerfile": Attr(STRING, "A package-local Dockerfile fragment (no FROM line) used instead of, or "
                       "after, `steps`; or a jetson-containers Dockerfile used in place, whose only FROM is "
                       "`FROM ${BASE_IMAGE}` (after `ARG BASE_IMAGE`): jcb starts the stage on the layer below."),
    "build_args": Attr(ENV_DICT, "Build arguments visible to the steps (part of the action key).",
                       default=dict),
    "env": Attr(ENV_STRINGS, "Environment variables set in the stage and kept in the image.", default=dict),
    "files": Attr(STRING_LIST, "Package-local files copied into the build context (hashed into the key); "
                  "another package's file by label, e.g. `//ml/mamba/causalconv1d:set_cuda_archs.py`.",
                  default=list),
    "allow_floating": Attr(STRING, "Why this target's `pip_install()` steps may name requirements without an "
                           "exact `==` version (otherwise an analysis error); "
                           "`jcb query 'attr(allow_floating, \".+\", //...)'` lists them."),
}

CONTAINER_LAYER = RuleSchema(
    kind="container_layer",
    doc="One layer of a container image, built on the image of the layer below it in the chain.",
    example='container_layer(\n    name = "0.4.9",\n    version = "0.4.9",\n    deps = ["//llm/vllm", "//llm/sglang/sgl-kernel"],\n'
            '    wheels = [":wheel-0.4.9"],\n    requires = ">=36",\n)',
    attrs={
        "deps": Attr(LABEL_LIST, "Layers this layer is built on, in jetson-containers' declared order.",
                     default=list, kinds=LAYER_KINDS),
        "wheels": Attr(LABEL_LIST, "`wheel` targets installed into this layer from the local cache.",
                       default=list, kinds=("wheel",)),
        "srcs": Attr(LABEL_LIST, "Source targets (`git_repository`, `http_archive`) fetched by jcb and copied to "
                     "`/opt/srcs/<target name>` before the steps run (they stay in the image's layers).",
                     default=list, kinds=SOURCE_KINDS),
        **_BUILD_INPUTS,
        "tests": Attr(STRING_LIST, "Package-local test scripts run in the built image (`.py` with python3, "
                      "others with sh).", default=list),
        "aliases": Attr(STRING_LIST, "Other jetson-containers names for this layer (e.g. `pip-cache`).",
                        default=list),
        "group": Attr(STRING, "The docs' package group (e.g. `llm`, `cuda`)."),
        "images": Attr(IMAGES, "Published images of this package as facts: dicts with `repository`, "
                       "`tag`, `date`, `arch`, `size`.", default=list),
        "builder": Attr(BOOL, "True for a `-builder` variant that compiles its wheels instead of installing "
                        "them from an index.", default=False),
        **_COMMON,
    },
    edges=("deps", "wheels", "srcs"),
    check=_layer_problem,
)

WHEEL = RuleSchema(
    kind="wheel",
    doc="A Python wheel compiled in an isolated builder stage whose base holds only its build deps.",
    example='wheel(\n    name = "wheel",\n    dist = "flash_attn",\n    version = "2.8.0.post2",\n'
            '    srcs = [":src"],\n    build_deps = ["//pytorch", "//ml/triton", "//cuda/cutlass"],\n)',
    attrs={
        "dist": Attr(DIST, "The distribution name of the wheel (e.g. `flash_attn`).", mandatory=True),
        "srcs": Attr(LABEL_LIST, "Source targets (`git_repository`, `http_archive`); package-local sources go in "
                     "`files`.",
                     default=list, kinds=SOURCE_KINDS),
        "build_deps": Attr(LABEL_LIST, "Layers that make the builder's base image: only what the compile "
                           "needs.", default=list, kinds=LAYER_KINDS),
        **_BUILD_INPUTS,
        "index_url": Attr(STRING, "An index that may already hold this wheel; when it does the compile is "
                          "skipped (jetson-containers' `install.sh || build.sh`, as data)."),
        "index_spec": Attr(STRING, "The requirement looked up on `index_url` (default `dist==version`)."),
        "python_tag": Attr(PYTHON_TAG, "Expected wheel python tag (default: the platform's, e.g. `cp310`; "
                           "`py3` for pure wheels)."),
        "compile_slots": Attr(INT, "How many of `jcb build --jobs` compile slots this wheel's compile takes "
                              "(2 or more for a compile that needs the memory of several, e.g. parallel nvcc "
                              "on an Orin); not part of its key.", default=1),
        **_COMMON,
    },
    edges=("build_deps", "srcs"),
    check=_wheel_problem,
)

ALIAS = RuleSchema(
    kind="alias",
    doc="Another name for a target; `actual` may be a select() so defaults can depend on the platform.",
    example='alias(\n    name = "pytorch",\n    actual = select({">=cu128": ":2.7", "default": ":2.8"}),\n)',
    attrs={"actual": Attr(LABEL, "The target this alias stands for.", mandatory=True),
           "notes": _COMMON["notes"], "visibility": _COMMON["visibility"]},
    edges=("actual",),
)

GIT_REPOSITORY = RuleSchema(
    kind="git_repository",
    doc="Sources from a git remote pinned by tag and/or commit.",
    example='git_repository(\n    name = "src",\n    remote = "https://github.com/sgl-project/sglang",\n'
            '    tag = "v0.4.9",\n)',
    attrs={"remote": Attr(STRING, "The repository URL.", mandatory=True),
           "tag": Attr(STRING, "A tag to check out."),
           "commit": Attr(STRING, "A commit hash; with a tag, the tag must point at it."),
           "submodules": Attr(BOOL, "Check out submodules recursively.", default=False),
           "notes": _COMMON["notes"], "visibility": _COMMON["visibility"]},
    check=_git_problem,
)

HTTP_ARCHIVE = RuleSchema(
    kind="http_archive",
    doc="Sources from an archive download verified by sha256.",
    example='http_archive(\n    name = "src",\n    url = "https://example.org/x-1.0.tar.gz",\n'
            '    sha256 = "...",\n    strip_prefix = "x-1.0",\n)',
    attrs={"url": Attr(STRING, "The archive's URL.", mandatory=True),
           "sha256": Attr(SHA256, "The archive's sha256 (hex).", mandatory=True),
           "strip_prefix": Attr(STRING, "A leading directory to strip from the archive."),
           "notes": _COMMON["notes"], "visibility": _COMMON["visibility"]},
)

PLATFORM = RuleSchema(
    kind="platform",
    doc="A Jetson software stack on one architecture; declared under `toolchains/`.",
    example='platform(\n    name = "jp6-cu126",\n    l4t = "36.4.0",\n    jetpack = "6.1",\n    cuda = "12.6",\n'
            '    cudnn = "9.3",\n    python = "3.10",\n    distro = "24.04",\n    arch = "aarch64",\n'
            '    cuda_arch = ["87"],\n    base_image = "ubuntu:24.04",\n)',
    attrs={"l4t": Attr(STRING, "L4T version, e.g. `36.4.0`.", mandatory=True),
           "jetpack": Attr(STRING, "JetPack version, e.g. `6.1`.", mandatory=True),
           "cuda": Attr(STRING, "CUDA version, e.g. `12.6`.", mandatory=True),
           "cudnn": Attr(STRING, "cuDNN version, e.g. `9.3`.", mandatory=True),
           "python": Attr(STRING, "Python version, e.g. `3.10`.", mandatory=True),
           "distro": Attr(STRING, "Ubuntu release, e.g. `24.04`.", mandatory=True),
           "arch": Attr(STRING, "`aarch64` or `x86_64`.", mandatory=True),
           "cuda_arch": Attr(STRING_LIST, "CUDA compute capabilities, e.g. `[\"87\"]` for Orin.",
                             mandatory=True),
           "base_image": Attr(STRING, "The image the first layer of every chain is built on.", mandatory=True),
           "docker_platform": Attr(STRING, "OCI platform (default from arch: `linux/arm64`, `linux/amd64`)."),
           "values": Attr(STRING_DICT, "Extra values for select() keys and docs.", default=dict),
           "notes": _COMMON["notes"]},
)

RULES: dict[str, RuleSchema] = {r.kind: r for r in
                                (CONTAINER_LAYER, WHEEL, ALIAS, GIT_REPOSITORY, HTTP_ARCHIVE, PLATFORM)}

