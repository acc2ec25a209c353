#!/usr/bin/env python3
"""Tests of echo_summary.py: the interval around a median, the verdicts drawn from it, and
the ratios taken within each round (the floor among them)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo_summary import Run, median_interval, round_ratios, target_verdicts, verdict  # noqa: E402


def run(server, rnd, rate, user, total=10.0, msgs=1000):
    """A Run whose user and total CPU per message come out as given (µs, 1 tick = 1 µs)."""
    row = {
        "round": str(rnd), "server": server, "msgs_per_sec": str(rate), "total_msgs": str(msgs),
        "hwm_kib": "1024", "user_ticks": "0", "sys_ticks": str(int(total * msgs)),
        "user_share": str(user / total), "mask_share": "0",
    }
    return Run(row, 1.0)


class MedianInterval(unittest.TestCase):
    def test_under_six_values_the_interval_is_the_range(self):
        self.assertEqual(median_interval([3.0, 1.0, 2.0]), (2.0, 1.0, 3.0, False))

    def test_six_values_give_a_confidence_interval_from_the_extremes(self):
        # P(no value below the median) = 2 × 1/64 < 5 %: order statistics 1 and 6.
        self.assertEqual(median_interval([1, 2, 3, 4, 5, 6]), (3.5, 1, 6, True))

    def test_twenty_values_leave_five_out_at_each_end(self):
        # P(Binomial(20, 1/2) <= 5) = 2.07 % <= 2.5 % < P(<= 6) = 5.77 %: statistics 6 and 15.
        xs = list(range(1, 21))
        self.assertEqual(median_interval(xs), (10.5, 6, 15, True))

    def test_nan_values_are_left_out_and_none_leaves_no_interval(self):
        self.assertEqual(median_interval([float("nan"), 2.0]), (2.0, 2.0, 2.0, False))
        self.assertIsNone(median_interval([]))


class Verdict(unittest.TestCase):
    def test_lower_is_better(self):
        self.assertEqual(verdict((0.4, 0.3, 0.49, True), 0.5, False), "met")
        self.assertEqual(verdict((0.6, 0.51, 0.7, True), 0.5, False), "missed")
        self.assertEqual(verdict((0.5, 0.45, 0.55, True), 0.5, False), "within noise")

    def test_higher_is_better(self):
        self.assertEqual(verdict((1.1, 1.0, 1.2, True), 1.0, True), "met")
        self.assertEqual(verdict((0.9, 0.8, 0.99, True), 1.0, True), "missed")
        self.assertEqual(verdict((1.0, 0.9, 1.1, True), 1.0, True), "within noise")

    def test_no_interval_no_verdict(self):
        self.assertEqual(verdict(None, 0.5, False), "–")


class TargetVerdicts(unittest.TestCase):
    GOOD = {"best": (1.1, 1.05, 1.2, True), "raw": (1.0, 0.96, 1.1, True),
            "total": (0.9, 0.8, 0.95, True)}

    def test_a_met_user_target_says_nothing_of_the_floor(self):
        out = target_verdicts(dict(self.GOOD, user=(0.4, 0.3, 0.45, True),
                                   floor=(0.6, 0.55, 0.7, True)))
        self.assertEqual(out, {"best": "met", "raw": "met", "user": "met", "total": "met"})

    def test_a_missed_user_target_says_whether_the_floor_misses_too(self):
        out = target_verdicts(dict(self.GOOD, user=(0.6, 0.55, 0.7, True),
                                   floor=(0.58, 0.52, 0.66, True)))
        self.assertEqual(out["user"], "missed; the floor: missed too")
        out = target_verdicts(dict(self.GOOD, user=(0.5, 0.45, 0.55, True),
                                   floor=(0.3, 0.25, 0.35, True)))
        self.assertEqual(out["user"], "within noise; the floor: met")

    def test_without_a_floor_only_the_verdict(self):
        out = target_verdicts(dict(self.GOOD, user=(0.6, 0.55, 0.7, True), floor=None))
        self.assertEqual(out["user"], "missed")


class RoundRatios(unittest.TestCase):
    def test_each_ratio_is_taken_within_its_round(self):
        cell = {
            "sansws-mio": [run("sansws-mio", 1, 100, 1.0), run("sansws-mio", 2, 300, 6.0)],
            "fastwebsockets": [run("fastwebsockets", 1, 50, 4.0),
                               run("fastwebsockets", 2, 150, 12.0)],
            "tokio-websockets": [run("tokio-websockets", 1, 80, 2.0, total=20.0),
                                 run("tokio-websockets", 2, 200, 30.0, total=20.0)],
            "raw": [run("raw", 1, 200, 0.5)],
            "raw-xor": [run("raw-xor", 2, 250, 3.0)],
        }
        out = round_ratios(cell)
        self.assertEqual(out["best"], [100 / 80, 300 / 200])
        self.assertEqual(out["user"], [1.0 / 2.0, 6.0 / 12.0])
        self.assertEqual(out["total"], [10 / 10, 10 / 10])
        self.assertEqual(out["raw"], [100 / 200], "only round 1 ran raw")
        self.assertEqual(out["floor"], [3.0 / 12.0], "only round 2 ran raw-xor")
        self.assertEqual(out["above_floor"], [6.0 / 3.0])

    def test_an_a_b_copy_of_sansws_is_not_a_peer(self):
        cell = {
            "sansws-mio": [run("sansws-mio", 1, 100, 1.0)],
            "mio-experiment": [run("mio-experiment", 1, 999, 0.1)],
            "fastwebsockets": [run("fastwebsockets", 1, 50, 4.0)],
        }
        out = round_ratios(cell)
        self.assertEqual((out["best"], out["user"]), ([2.0], [0.25]))


if __name__ == "__main__":
    unittest.main()
