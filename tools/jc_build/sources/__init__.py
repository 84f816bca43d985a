"""Sources fetched by jcb on the host: git commits and checksummed archives, verified and kept in the CAS.

``spec`` (what targets declare; import-light, the planner uses it), ``fetcher`` (fetch, verify,
store), ``mirrors`` (URL rewrites), ``git``/``http``/``archive``/``tree`` (the mechanics).
"""
