#!/usr/bin/env python3
"""Prints the cases of an Autobahn report that failed strict checking only because the
suite's own closing-handshake timer fired, comma-separated; exits 1 (printing nothing) if
any other case is not OK or INFORMATIONAL.

Why: Autobahn|Python arms its 1 s closing-handshake timeout on txaio's batched timer, which
truncates the deadline to a whole second (`int(now + delay)`). A close sent 0.3 ms before a
second boundary therefore times out 0.3 ms later, whatever the peer does (measured here: two
cases in about 2,700, both while busy loops loaded the CPU). Such a case (behaviour OK, close UNCLEAN with
`wasCloseHandshakeTimeout`) is worth a second run; any other failure is not.

Usage: autobahn_retryable.py REPORTDIR
"""

import json
import os
import sys

PASSING = {"OK", "INFORMATIONAL"}


def retryable(reportdir):
    """The cases to run again, or None if any case failed otherwise, none failed, or the
    report cannot be read (a suite that wrote none failed for a reason of its own)."""
    try:
        return timer_only_failures(reportdir)
    except (OSError, ValueError, KeyError):
        return None


def timer_only_failures(reportdir):
    with open(os.path.join(reportdir, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    retry = []
    for cases in index.values():
        for case_id, entry in cases.items():
            if entry.get("behavior") in PASSING and entry.get("behaviorClose") in PASSING:
                continue
            with open(os.path.join(reportdir, entry["reportfile"]), encoding="utf-8") as f:
                case = json.load(f)
            harness_timeout = (
                entry.get("behavior") in PASSING
                and case.get("wasCloseHandshakeTimeout") is True
            )
            if not harness_timeout:
                return None
            retry.append(case_id)
    return retry or None


def main(reportdir):
    retry = retryable(reportdir)
    if retry is None:
        return 1
    print(",".join(retry))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
