"""Claims registry and leaderboard builders; they read result files, never the runner."""
