"""Model adapters, one module per backend; each registers through the `claimbench.models` entry points."""
