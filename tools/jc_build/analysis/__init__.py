"""Analysis: the configured target graph for one platform."""
