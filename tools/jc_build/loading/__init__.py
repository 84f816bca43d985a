"""Loading: Starlark files -> unconfigured targets (per platform, selects resolved)."""
