#!/bin/sh
# Stand-in for scan-fuzz replaying one input, for fuzz-triage.test. The input
# file says what the replay prints and how it exits: "exit: N", and
# optionally "needs: OPTION" (the failure shows only when OPTION is among the
# arguments, as a timeout shows only under -timeout=), then "---" and the
# output.
for input; do :; done
status=$(sed -n 's/^exit: //p' "$input")
needs=$(sed -n 's/^needs: //p' "$input")
if [ -n "$needs" ]; then
  case " $* " in
    *" $needs "*) ;;
    *) exit 0 ;;
  esac
fi
sed '1,/^---$/d' "$input" >&2
exit "${status:-0}"
