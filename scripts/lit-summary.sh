#!/usr/bin/env bash
# Reads the output of a lit run (and of a pytest run, when given) and prints
# one summary line,
#   lit: N passed, M failed, K skipped; pytest: P passed, Q failed, S skipped
# counting every result kind lit reports: passed = Passed, Passed With Retry,
# Expectedly Failed; failed = Failed, Unresolved, Timed Out, Unexpectedly
# Passed (a test marked XFAIL that passes, which lit itself does not count
# as a failure); skipped = Unsupported, Skipped, Excluded. A kind not listed
# here counts as failed and is named. Exits 1 when a test failed, when the
# kinds do not add up to the tests lit discovered, or when the output has no
# summary (lit did not finish).
# pytest's closing line ("== 3 passed, 1 skipped in 2.0s ==") is read the
# same way: passed = passed, xfailed; failed = failed, error(s), xpassed
# (counted as a failure, as lit's XPASS is); skipped = skipped (deselected
# tests and warnings are not counted). No closing line, or no test run at
# all, fails the run too.
# Usage: scripts/lit-summary.sh LOG [PYTEST_LOG]
set -euo pipefail
log="$1"
pytest_log="${2:-}"

pytest_part=""
pytest_status=0
if [ -n "$pytest_log" ]; then
  closing=$(grep -E '^=+ .* in [0-9.]+s.* =+$' "$pytest_log" | tail -n 1 || true)
  if [ -z "$closing" ]; then
    echo "pytest: no summary in the output (pytest did not finish)"
    pytest_part="; pytest: no summary"
    pytest_status=1
  else
    counts=$(awk '
      {
        for (i = 1; i < NF; i++) {
          if ($i !~ /^[0-9]+$/) continue
          kind = $(i + 1); sub(/[,]$/, "", kind)
          if (kind == "passed" || kind == "xfailed") passed += $i
          else if (kind == "failed" || kind == "error" || kind == "errors" || kind == "xpassed") failed += $i
          else if (kind == "skipped") skipped += $i
        }
      }
      END { printf "%d %d %d\n", passed, failed, skipped }' <<<"$closing")
    read -r p_passed p_failed p_skipped <<<"$counts"
    pytest_part="; pytest: $p_passed passed, $p_failed failed, $p_skipped skipped"
    if [ "$p_failed" -gt 0 ] || [ $((p_passed + p_skipped)) -eq 0 ]; then
      pytest_status=1
    fi
  fi
fi

lit_status=0
awk -v pytest_part="$pytest_part" '
  /^Total Discovered Tests: *[0-9]+/ { total = $4; found = 1; next }
  found && /^  [A-Za-z][A-Za-z ]*: *[0-9]+ / {
    line = $0
    sub(/^  /, "", line)
    label = line; sub(/ *:.*/, "", label)
    n = line; sub(/^[^:]*: */, "", n); sub(/ .*/, "", n)
    counted += n
    if (label == "Passed" || label == "Passed With Retry" ||
        label == "Expectedly Failed")
      passed += n
    else if (label == "Unsupported" || label == "Skipped" || label == "Excluded")
      skipped += n
    else {
      failed += n
      if (label != "Failed" && label != "Unresolved" && label != "Timed Out" &&
          label != "Unexpectedly Passed")
        unknown = unknown " \"" label "\""
    }
    if (label != "Passed" && label != "Unsupported")
      detail = detail ", " n " " tolower(label)
  }
  END {
    if (!found) {
      print "lit: no summary in the output (lit did not finish)" pytest_part
      exit 1
    }
    if (detail != "")
      print "lit results: " substr(detail, 3)
    if (unknown != "")
      print "lit: result kinds this summary does not know, counted as failed:" unknown
    status = failed > 0
    if (counted != total) {
      print "lit: " counted " results for " total " discovered tests"
      if (total > counted)
        failed += total - counted
      status = 1
    }
    printf "lit: %d passed, %d failed, %d skipped%s\n", passed, failed, skipped, pytest_part
    exit status
  }' "$log" || lit_status=$?
exit $((lit_status || pytest_status))
