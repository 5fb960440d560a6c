"""Task families, one sub-package each; each registers through the `claimbench.tasks` entry points."""
