"""kotaku-decide: decision support for slum upgrading under Indonesia's KOTAKU programme.

Data flows one way: load -> validate -> score -> rank -> cost -> allocate -> report.
"""

__version__ = "0.1.0"
