#!/usr/bin/env python3
"""Tests of autobahn_retryable.py on small hand-made reports: which failures earn a rerun."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autobahn_retryable import retryable  # noqa: E402


def report(test, cases):
    """A report directory holding `cases`: id -> (behavior, behaviorClose, case fields)."""
    folder = tempfile.mkdtemp(prefix="autobahn-report-")
    test.addCleanup(shutil.rmtree, folder)
    index = {}
    for case_id, (behavior, close, fields) in cases.items():
        name = "agent_case_" + case_id.replace(".", "_") + ".json"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(dict(fields, id=case_id), f)
        index[case_id] = {"behavior": behavior, "behaviorClose": close, "reportfile": name}
    with open(os.path.join(folder, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"agent": index}, f)
    return folder


TIMER = {"wasCloseHandshakeTimeout": True}
CLEAN = {"wasCloseHandshakeTimeout": False}


class Retryable(unittest.TestCase):
    def test_a_clean_report_has_nothing_to_run_again(self):
        folder = report(self, {"1.1.1": ("OK", "OK", CLEAN), "7.1.6": ("INFORMATIONAL", "OK", CLEAN)})
        self.assertIsNone(retryable(folder))

    def test_cases_where_only_the_timer_fired_are_run_again(self):
        folder = report(self, {
            "1.1.1": ("OK", "OK", CLEAN),
            "9.1.1": ("OK", "UNCLEAN", TIMER),
            "9.5.1": ("INFORMATIONAL", "UNCLEAN", TIMER),
        })
        self.assertEqual(retryable(folder), ["9.1.1", "9.5.1"])

    def test_an_unclean_close_without_the_timer_is_not(self):
        folder = report(self, {"9.1.1": ("OK", "UNCLEAN", TIMER), "7.1.1": ("OK", "UNCLEAN", CLEAN)})
        self.assertIsNone(retryable(folder))

    def test_a_failed_behaviour_is_not_even_when_the_timer_fired(self):
        folder = report(self, {"9.1.1": ("OK", "UNCLEAN", TIMER), "9.1.2": ("FAILED", "UNCLEAN", TIMER)})
        self.assertIsNone(retryable(folder))

    def test_a_missing_or_broken_report_is_not(self):
        folder = report(self, {"9.1.1": ("OK", "UNCLEAN", TIMER)})
        os.remove(os.path.join(folder, "agent_case_9_1_1.json"))
        self.assertIsNone(retryable(folder))
        os.remove(os.path.join(folder, "index.json"))
        self.assertIsNone(retryable(folder))

    def test_a_non_strict_behaviour_is_not(self):
        folder = report(self, {"3.2": ("NON-STRICT", "OK", TIMER)})
        self.assertIsNone(retryable(folder))


if __name__ == "__main__":
    unittest.main()
