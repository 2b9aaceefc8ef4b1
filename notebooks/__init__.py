"""The notebooks of kotaku-decide, shipped as the package data ``kotaku_decide.notebooks``."""
