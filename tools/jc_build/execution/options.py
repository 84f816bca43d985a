"""What a person can ask of one build beyond the plan, as buildx and jetson-containers take it:
secrets (``--secret id=NAME,src=PATH|env=VAR``) and which image tests to skip. Parsed at the
command line, typed after it."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, UsageError
from ..plan import SECRET_CABUNDLE, Stage


@dataclass(frozen=True)
class SecretSource:
    """A secret's value: the content of ``path``, or of the environment variable ``env``."""

    id: str
    path: Path | None = None
    env: str | None = None

    def write_to(self, directory: Path, environ: Mapping[str, str] = os.environ) -> Path:
        """The file BuildKit reads the secret from (a ``src`` as it is; an ``env`` value in a
        0600 file under ``directory``)."""
        if self.path is not None:
            return self.path
        assert self.env is not None
        file = directory / self.id
        file.write_text(environ[self.env])
        file.chmod(stat.S_IRUSR | stat.S_IWUSR)
        return file


def parse_secret(spec: str, environ: Mapping[str, str] = os.environ) -> SecretSource:
    """``id=NAME,src=PATH`` or ``id=NAME,env=VAR`` (buildx's syntax; ``type=file|env`` accepted)."""
    fields = dict(part.partition("=")[::2] for part in spec.split(","))
    sid, src, env = fields.pop("id", ""), fields.pop("src", "") or fields.pop("source", ""), fields.pop("env", "")
    fields.pop("type", None)
    if not sid or fields or bool(src) == bool(env):
        raise UsageError(f"--secret takes id=NAME,src=PATH or id=NAME,env=VAR, got '{spec}'")
    if sid == SECRET_CABUNDLE:
        raise UsageError(f"secret '{SECRET_CABUNDLE}' is jcb's (the host CA bundle: $JCB_CA_BUNDLE)")
    if src and not Path(src).is_file():
        raise UsageError(f"--secret {sid}: {src} is not a file")
    if env and env not in environ:
        raise UsageError(f"--secret {sid}: the environment variable {env} is not set")
    return SecretSource(sid, Path(src).resolve() if src else None, env or None)


def check_secrets(stages: Collection[Stage], given: Mapping[str, SecretSource]) -> None:
    """BuildError naming the first stage to build that needs a secret not given."""
    for stage in stages:
        missing = sorted(sid for sid in stage.secrets if sid != SECRET_CABUNDLE and sid not in given)
        if missing:
            flags = " ".join(f"--secret id={sid},src=FILE" for sid in missing)
            raise BuildError(f"{stage.label} needs secret{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(s) for s in missing)}; give {flags} (or env=VAR)")


@dataclass(frozen=True)
class SkipTests:
    """``--skip-tests``: ``all``, ``intermediate`` (all but the requested targets'), or names."""

    all: bool = False
    intermediate: bool = False
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> SkipTests:
        words = {w.strip() for w in (text or "").split(",") if w.strip()}
        return cls("all" in words, "intermediate" in words, frozenset(words - {"all", "intermediate"}))

    def skips(self, stage: Stage, roots: Collection[str]) -> bool:
        """Whether ``stage``'s tests are skipped in a build of the stages ``roots``."""
        package = stage.label.package.rsplit("/", 1)[-1]
        named = {package, f"{package}:{stage.label.name}", str(stage.label)} & self.names
        return self.all or bool(named) or (self.intermediate and stage.key not in roots)
