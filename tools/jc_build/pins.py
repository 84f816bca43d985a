"""Which pip requirements float: anything but one exact ``==`` version (no wildcard) or ``===``."""

from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement


def floating_requirements(requirements: list[str]) -> list[str]:
    """The requirements of a pip install that do not name one exact version.

    Options (``-r file``, ``--upgrade``) and paths or URLs are floating too: nothing says what
    they resolve to.
    """
    return [text for text in requirements if not _exact(text)]


def _exact(text: str) -> bool:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return False
    specs = list(req.specifier)
    return req.url is None and len(specs) == 1 and (
        specs[0].operator == "===" or (specs[0].operator == "==" and not specs[0].version.endswith(".*")))
