#!/usr/bin/env python3
"""Tests of callgrind_lines.py on a hand-written dump in callgrind's format."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind_lines import footprint, instruction_counts  # noqa: E402

# Two objects; a function that calls another (the cost line after "calls=" is the call's
# inclusive cost); names given once, then by id; positions absolute, relative and "*".
DUMP = """\
version: 1
positions: instr line
events: Ir
summary: 1000
ob=(1) /bin/server
fl=(1) src/main.rs
fn=(1) main
0x1000 10 100
+4 11 100
+4 * 100
cob=(2) /lib/libc.so.6
cfn=(2) send
calls=100 0x9000 5
+4 12 700
+60 13 100
+1 * 5
fn=(3) cold
-8 20 3
ob=(2)
fn=(2)
0x9000 5 100
+5000 * 100
"""


class InstructionCounts(unittest.TestCase):
    def setUp(self):
        self.counts = instruction_counts(DUMP.splitlines(True))

    def test_costs_land_on_their_object_function_and_address(self):
        self.assertEqual(self.counts[("/bin/server", "main", 0x1000)], 100)
        self.assertEqual(self.counts[("/bin/server", "main", 0x1004)], 100)
        self.assertEqual(self.counts[("/bin/server", "main", 0x1008)], 100)
        self.assertEqual(self.counts[("/lib/libc.so.6", "send", 0x9000)], 100)
        self.assertEqual(self.counts[("/lib/libc.so.6", "send", 0x9000 + 5000)], 100)

    def test_a_calls_inclusive_cost_is_skipped_but_moves_the_position(self):
        # 0x100c carries the call's 700 (inclusive): not an instruction of main's.
        self.assertNotIn(("/bin/server", "main", 0x100C), self.counts)
        self.assertEqual(self.counts[("/bin/server", "main", 0x100C + 60)], 100)
        self.assertEqual(self.counts[("/bin/server", "main", 0x100C + 61)], 5)

    def test_a_relative_position_carries_over_into_the_next_function(self):
        self.assertEqual(self.counts[("/bin/server", "cold", 0x100C + 61 - 8)], 3)

    def test_a_dump_without_instruction_positions_is_refused(self):
        with self.assertRaises(ValueError):
            instruction_counts(["positions: line\n", "events: Ir\n"])


class Footprint(unittest.TestCase):
    def test_instructions_under_the_threshold_are_not_hot(self):
        counts = instruction_counts(DUMP.splitlines(True))
        objects, by_fn = footprint(counts, msgs=100, threshold=0.9)
        # main: 0x1000, 0x1004, 0x1008 (one line) and 0x1048 (the next); the 5 and the 3
        # executions are under 90 per 100 messages.
        self.assertEqual(objects["/bin/server"], (4, 2, 1))
        # send: 0x9000 and 0x9000 + 5000, two lines on two pages.
        self.assertEqual(objects["/lib/libc.so.6"], (2, 2, 2))
        self.assertEqual(by_fn[("/bin/server", "main")], 2)
        self.assertNotIn(("/bin/server", "cold"), by_fn)

    def test_a_lower_threshold_takes_rarer_instructions_in(self):
        counts = instruction_counts(DUMP.splitlines(True))
        objects, _ = footprint(counts, msgs=100, threshold=0.03)
        self.assertEqual(objects["/bin/server"][0], 6)


if __name__ == "__main__":
    unittest.main()
