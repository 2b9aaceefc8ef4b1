"""The embedded data of kotaku-decide, shipped as the package data ``kotaku_decide.embedded``.

Files only (see README.md); read them through :mod:`kotaku_decide.data.embedded`.
"""
