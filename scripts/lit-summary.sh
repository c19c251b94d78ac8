#!/usr/bin/env bash
# Reads the output of a lit run and prints one summary line,
#   lit: N passed, M failed, K skipped
# counting every result kind lit reports: passed = Passed, Passed With Retry,
# Expectedly Failed; failed = Failed, Unresolved, Timed Out, Unexpectedly
# Passed (a test marked XFAIL that passes, which lit itself does not count
# as a failure); skipped = Unsupported, Skipped, Excluded. A kind not listed
# here counts as failed and is named. Exits 1 when a test failed, when the
# kinds do not add up to the tests lit discovered, or when the output has no
# summary (lit did not finish).
# Usage: scripts/lit-summary.sh LOG
set -euo pipefail
log="$1"
awk '
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
      print "lit: no summary in the output (lit did not finish)"
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
    printf "lit: %d passed, %d failed, %d skipped\n", passed, failed, skipped
    exit status
  }' "$log"
