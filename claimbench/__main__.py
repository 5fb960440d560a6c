"""`python -m claimbench` is the `claimbench` command."""
import sys

from claimbench.harness.cli import main

sys.exit(main())
