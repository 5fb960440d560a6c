#!/usr/bin/env bash
# The regression gate a pull request passes: evaluate MODEL on TASKS, then compare with the
# committed BASELINE run. Fails (non-zero) on a significant regression (4), on an evaluation that
# differs from the baseline's (a dropped task, fewer rows, another model: 6), or when more than
# MAX_FLIPS samples got worse (7). compare appends its summary to $GITHUB_STEP_SUMMARY.
set -euo pipefail
: "${MODEL:?set MODEL, e.g. smollm2-135m:backend=llamacpp}" "${TASKS:?set TASKS}" "${BASELINE:?set BASELINE}"
out="${OUT:-runs/pull-request}"
claimbench run --model "$MODEL" --tasks "$TASKS" ${LIMIT:+--limit "$LIMIT"} --output "$out" --no-progress
claimbench compare "$BASELINE" "$out" --fail-on-regression --max-flips "${MAX_FLIPS:-5}" --json "$out/compare.json" \
  ${TOLERANCE:+--tolerance "$TOLERANCE"}
