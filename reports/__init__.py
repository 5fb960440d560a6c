"""Per-run reports with plots; they read result files, never the runner."""
