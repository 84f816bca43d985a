"""Generated documentation: a README.md page per package and docs/rules.md."""

from .page import Container, Image, Link, PackagePage, PageBuilder
from .render import render_page
from .rules_md import render_rules_md

__all__ = ["Container", "Image", "Link", "PackagePage", "PageBuilder", "render_page", "render_rules_md"]
