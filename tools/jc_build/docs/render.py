"""Markdown of a package page, laid out like jetson-containers' package READMEs."""

from __future__ import annotations

from .page import Container, Image, Link, PackagePage

_NBSP = "&nbsp;&nbsp;&nbsp;"
_NAV = ("> [`CONTAINERS`](#user-content-containers) [`IMAGES`](#user-content-images) "
        "[`RUN`](#user-content-run) [`BUILD`](#user-content-build)")
_DOCKER_RUN = "docker run --runtime nvidia -it --rm --network=host"


def render_page(page: PackagePage) -> str:
    """The README.md text of ``page``."""
    parts = [f"# {page.title}\n\n{_NAV}\n\n", _section("containers", "CONTAINERS"),
             *(_container(c) for c in page.containers), "</details>\n"]
    if page.images:
        parts.append(_images(page.images))
    parts += [_run(page), _build(page)]
    return "".join(parts)


def _section(anchor: str, title: str) -> str:
    return f'<details open>\n<summary><b><a id="{anchor}">{title}</a></b></summary>\n<br>\n\n'


def _cell(text: str) -> str:
    """Free text made safe for a table cell."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _links(links: list[Link]) -> str:
    return " ".join(f"[`{link.text}`]({link.href})" for link in links)


def _hub_link(image: Image) -> str:
    """The image name, linked to its Docker Hub tags when the repository is on Docker Hub."""
    host = image.repository.split("/", 1)[0]
    if "/" in image.repository and ("." in host or ":" in host):
        return f"`{image.name}`"
    return f"[`{image.name}`](https://hub.docker.com/r/{image.repository}/tags)"


def _container(c: Container) -> str:
    rows = [f"| **`{c.name}`** | |", "| :-- | :-- |"]

    def row(key: str, value: str) -> None:
        rows.append(f"| {_NBSP}{key} | {value} |")

    if c.aliases:
        row("Aliases", " ".join(f"`{alias}`" for alias in c.aliases))
    if c.requires:
        row("Requires", f"`L4T {c.requires!r}`")
    if c.dependencies:
        row("Dependencies", _links(c.dependencies))
    if c.dependants:
        row("Dependants", _links(c.dependants))
    row("Definition", f"{_links([c.definition])} `{c.kind}`")
    if c.dockerfile:
        row("Dockerfile", f"[`{c.dockerfile}`]({c.dockerfile})")
    if c.images:
        row("Images", "<br>".join(f"{_hub_link(i)} `({i.date}, {i.size})`" for i in c.images))
    if c.notes:
        row("Notes", _cell(c.notes))
    return "\n".join(rows) + "\n\n"


def _images(images: list[Image]) -> str:
    rows = [_section("images", "CONTAINER IMAGES") + "| Repository/Tag | Date | Arch | Size |",
            "| :-- | :--: | :--: | :--: |"]
    rows += [f"| &nbsp;&nbsp;{_hub_link(i)} | `{i.date}` | `{i.arch}` | `{i.size}` |" for i in images]
    rows += ["", "> <sub>Images also run on other minor versions of the same L4T release "
                 "(an R36.4.0 image on R36.4.3, for example).</sub>", "</details>", ""]
    return "\n" + "\n".join(rows)


def _run(page: PackagePage) -> str:
    image_comment = ("one of the published images listed above" if page.images
                     else f"the image jcb builds for platform {page.platform}")
    return f"""
{_section("run", "RUN CONTAINER")}\
`jcb run` starts a container from the image of a target, building the image for the selected platform \
first when it is not available yet. `jcb autotag` prints the name of a compatible image, so the image also \
works with a plain `docker run`:
```bash
# build the image if needed, then start an interactive shell in it
jcb run {page.run_label}

# the name of a compatible image for this platform
jcb autotag {page.autotag_name}

# the docker run equivalent: the NVIDIA container runtime and the host's network
{_DOCKER_RUN} $(jcb autotag {page.autotag_name})

# or {image_comment}
{_DOCKER_RUN} {page.run_image}
```
Mount host directories with `-v` and give a command to run instead of an interactive shell, as with any \
`docker run`:
```bash
{_DOCKER_RUN} -v /path/on/host:/path/in/container $(jcb autotag {page.autotag_name}) my_app --abc xyz
```
Every `jcb` command takes `--platform=NAME` to use another platform declared in \
[`toolchains/BUILD.star`](/toolchains/BUILD.star); this page was generated for `{page.platform}`.
</details>
"""


def _build(page: PackagePage) -> str:
    return f"""\
{_section("build", "BUILD CONTAINER")}\
`jcb build` builds the image of one target together with the layers listed under Dependencies; layers \
and wheels that are already in the cache are reused:
```bash
jcb build {page.build_label}

# for another platform declared in toolchains/BUILD.star
jcb build {page.build_label} --platform=NAME
```
The rules used in this package's [`BUILD.star`](BUILD.star) are described in \
[`docs/rules.md`](/docs/rules.md).
</details>
"""
