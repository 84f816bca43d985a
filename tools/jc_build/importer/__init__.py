"""``jcb import``: a jetson-containers tree becomes BUILD.star files of a jcb workspace.

scan (the tree read per platform by its own module, in a subprocess) -> merge (targets across
platforms, jetson-containers' lookup rules as labels, its silent errors as warnings) -> render
(BUILD.star text) -> write (incremental, hand edits kept) -> report (counts, IMPORT.md).
"""
