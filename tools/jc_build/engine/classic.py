"""Builds with ``DOCKER_BUILDKIT=1 docker build`` for CLIs without buildx (Docker 20.10)."""

from __future__ import annotations

import os
import subprocess

from jc_build.engine.base import BuildLog, CliEngine, staged_dockerfile
from jc_build.engine.model import LogCallback, SolveRequest, SolveResult


class DockerBuildkitEngine(CliEngine):
    """The daemon's embedded BuildKit driven by the plain ``docker build`` command."""

    name = "docker-buildkit"

    def solve(self, req: SolveRequest, on_log_line: LogCallback | None = None) -> SolveResult:
        with staged_dockerfile(req) as scratch, BuildLog(req.log_path, on_log_line) as log:
            iidfile = scratch / "iid"
            cmd = [*self.argv, "build", "--progress=plain", "--file", str(scratch / "Dockerfile")]
            for tag in req.tags:
                cmd += ["--tag", tag]
            for key, value in req.all_build_args().items():
                cmd += ["--build-arg", f"{key}={value}"]
            for spec in req.secret_specs():
                cmd += ["--secret", spec]
            for ref in req.cache_from:
                cmd += ["--cache-from", ref]
            if req.platform:
                cmd += ["--platform", req.platform]
            if req.network:
                cmd += ["--network", req.network]
            if req.no_cache:
                cmd.append("--no-cache")
            if req.output_dir:
                cmd += ["--output", f"type=local,dest={req.output_dir}"]
            else:
                cmd += ["--iidfile", str(iidfile)]
            cmd.append(str(req.context_dir))

            env = {**os.environ, "DOCKER_BUILDKIT": "1"}
            with subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, text=True, errors="replace",
            ) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    log.feed(line)
            if proc.returncode != 0:
                raise log.failed(f"build failed (docker build exited {proc.returncode})")
            image_id = iidfile.read_text().strip() if iidfile.exists() else None
        return SolveResult(image_id=image_id, log_path=req.log_path)
