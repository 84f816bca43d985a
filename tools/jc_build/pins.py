"""Which pip requirements float: anything but one exact ``==`` version (no wildcard) or ``===``."""

from __future__ import annotations

import re
import shlex

PIP_INSTALL = re.compile(r"(?:pip3?|-m pip|uv pip) install ((?:[^;&|]|&(?!&))*)")
_VALUED = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--target", "-t", "--root", "--prefix",
           "--no-binary", "--only-binary")
# The two forms nearly every requirement takes, decided without importing packaging.requirements
# (with packaging.markers and packaging.tags: several times the cost of all a query's checks): a bare
# PEP 508 project name (extras allowed) names no version; ``name==V``, V a PEP 440 public version in normal form
# (``2.8.0``, ``1.0rc1``, ``2.8.0.post2``), names one exact version. packaging parses the rest.
_BARE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_EXTRAS = rf"(?:\[{_BARE_NAME}(?:,{_BARE_NAME})*\])?"  # ``sglang[all]``
_FLOATS = re.compile(_BARE_NAME + _EXTRAS)
_PINNED = re.compile(_BARE_NAME + _EXTRAS + r"==[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?")


def floating_requirements(requirements: list[str]) -> list[str]:
    """The requirements of a pip install that do not name one exact version.

    Options (``-r file``, ``--upgrade``) and paths or URLs are floating too: nothing says what
    they resolve to.
    """
    return [text for text in requirements if not _exact(text)]


def _exact(text: str) -> bool:
    obvious = _obvious(text)
    return _exact_pep508(text) if obvious is None else obvious


def _obvious(text: str) -> bool | None:
    """False for a bare project name, True for ``name==V`` (V in normal form), else None."""
    if _FLOATS.fullmatch(text):
        return False
    return True if _PINNED.fullmatch(text) else None


def _exact_pep508(text: str) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return False
    specs = list(req.specifier)
    return req.url is None and len(specs) == 1 and (
        specs[0].operator == "===" or (specs[0].operator == "==" and not specs[0].version.endswith(".*")))


def command_requirements(command: str) -> list[str]:
    """The requirements every ``pip install`` in a shell command names: local paths, wheels and
    options left out, a requirements file kept as ``-r FILE`` (it floats: nothing says what it holds)."""
    found: list[str] = []
    for args in PIP_INSTALL.findall(command):
        try:
            words = shlex.split(args)
        except ValueError:
            words = args.split()
        found.extend(_requirement_words(words))
    return found


def _requirement_words(words: list[str]) -> list[str]:
    found, skip = [], False
    for i, word in enumerate(words):
        if skip:
            skip = False
        elif word in ("-r", "--requirement", "-c", "--constraint"):
            found.append(f"-r {words[i + 1] if i + 1 < len(words) else ''}".strip())
            skip = True
        elif word.startswith("-"):
            skip = word in _VALUED
        elif "/" not in word and not word.endswith(".whl") and not word.startswith((".", "$")):
            found.append(word)
    return found
