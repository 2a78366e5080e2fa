"""``python -m sim``: the same command line as ``run_sim.py`` and ``fieldservice-sim``."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
