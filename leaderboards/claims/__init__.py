"""Relational claims: the papers' claims as data (the YAML files and claims.schema.json beside this file, read
by catalog.py), what each side measures on a run (evidence.py), the verdicts (verdicts.py) and their
rendering (views.py)."""
