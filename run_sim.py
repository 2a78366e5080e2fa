#!/usr/bin/env python3
"""Thin command-line shim: all logic lives in sim.cli."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
