"""The git operations a fetch needs, through the ``git`` command line (as Bazel's git_repository).

Every call runs with prompts off and a timeout, so an unreachable or private remote fails instead
of waiting for a password. Failures raise ``GitError`` with git's own explanation.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 600
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


class GitError(Exception):
    """A git command failed; ``str()`` is git's explanation."""


@dataclass(frozen=True)
class Submodule:
    """A gitlink of a commit's tree with the URL ``.gitmodules`` gives its path."""

    path: str
    commit: str
    url: str


def _git(*args: str, git_dir: Path | None = None, env: dict[str, str] | None = None) -> str:
    cmd = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env={**os.environ, **_ENV, **(env or {})}, check=False)
    except subprocess.TimeoutExpired:
        raise GitError(f"'git {args[0]}' timed out after {TIMEOUT_S} s") from None
    except FileNotFoundError:
        raise GitError("the git command is not installed") from None
    if proc.returncode != 0:
        raise GitError(_explain(proc.stderr) or f"'git {args[0]}' exited with {proc.returncode}")
    return proc.stdout


def _explain(stderr: str) -> str:
    """git's last ``fatal:``/``error:`` message with the lines that continue it, on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith(("fatal:", "error:"))]
    tail = lines[starts[-1]:] if starts else lines[-1:]
    return " ".join(tail).removeprefix("fatal: ").removeprefix("error: ")


def tag_commit(url: str, tag: str) -> str | None:
    """The commit ``refs/tags/<tag>`` of the remote points to (annotated tags peeled), or None."""
    out = _git("ls-remote", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}")
    refs = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def init_bare(git_dir: Path) -> None:
    _git("init", "--quiet", "--bare", str(git_dir))


def fetch_commit(git_dir: Path, url: str, commit: str) -> None:
    """Fetch ``commit`` of ``url`` into ``git_dir``: by id (shallow), else every ref of the remote.

    Servers that refuse unadvertised object ids (protocol v0 without uploadpack.allowAnySHA1InWant)
    get the second form; either way the commit must then exist, or this raises.
    """
    try:
        _git("fetch", "--quiet", "--no-tags", "--depth=1", url, commit, git_dir=git_dir)
    except GitError as by_id:
        try:
            _git("fetch", "--quiet", "--no-tags", url, "+refs/heads/*:refs/jcb/heads/*",
                 "+refs/tags/*:refs/jcb/tags/*", git_dir=git_dir)
        except GitError:
            raise by_id from None
    if not has_commit(git_dir, commit):
        raise GitError(f"commit {commit} is not in the repository")


def has_commit(git_dir: Path, commit: str) -> bool:
    try:
        return _git("cat-file", "-t", commit, git_dir=git_dir).strip() == "commit"
    except GitError:
        return False


def commit_time(git_dir: Path, commit: str) -> int:
    """The committer time of ``commit`` (seconds since the epoch): the source's SOURCE_DATE_EPOCH."""
    return int(_git("show", "-s", "--format=%ct", commit, git_dir=git_dir).strip())


def checkout(git_dir: Path, commit: str, dest: Path) -> None:
    """Write the tree of ``commit`` into the empty directory ``dest`` (no .git, no line-ending filters)."""
    dest.mkdir(parents=True, exist_ok=True)
    env = {"GIT_INDEX_FILE": str(git_dir / "jcb-index")}
    opts = ["-c", "core.autocrlf=false", "-c", "core.symlinks=true", "--work-tree", str(dest)]
    _git(*opts, "read-tree", commit, git_dir=git_dir, env=env)
    _git(*opts, "checkout-index", "--all", "--force", git_dir=git_dir, env=env)


def submodules(git_dir: Path, commit: str) -> list[Submodule]:
    """The submodules of ``commit``'s tree, with URLs from its ``.gitmodules`` (as written there)."""
    links = [line.split(None, 3) for line in _git("ls-tree", "-r", commit, git_dir=git_dir).splitlines()]
    gitlinks = {parts[3]: parts[2] for parts in links if parts[0] == "160000"}
    if not gitlinks:
        return []
    paths: dict[str, str] = {}
    urls: dict[str, str] = {}
    for line in _git("config", "--blob", f"{commit}:.gitmodules", "--list", git_dir=git_dir).splitlines():
        key, _, value = line.partition("=")
        name, _, field = key.removeprefix("submodule.").rpartition(".")
        (paths if field == "path" else urls if field == "url" else {})[name] = value
    by_path = {path: urls.get(name, "") for name, path in paths.items()}
    return [Submodule(path, sha, by_path.get(path, "")) for path, sha in sorted(gitlinks.items())]


def resolve_url(remote: str, url: str) -> str:
    """A submodule URL as git resolves it: ``./x`` and ``../x`` are relative to the superproject's remote."""
    if not url.startswith(("./", "../")):
        return url
    base = remote.rstrip("/")
    while True:
        if url.startswith("./"):
            url = url[2:]
        elif url.startswith("../"):
            url, base = url[3:], base.rsplit("/", 1)[0]
        else:
            return f"{base}/{url}"
