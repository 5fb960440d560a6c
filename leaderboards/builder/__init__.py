"""The leaderboard site builder: tables, cross-run plots and pages from published runs and verdicts."""
