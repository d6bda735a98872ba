"""`python -m analyzer` is the same as the `pg-analyzer` console script."""

from __future__ import annotations

import sys

from analyzer.cli import main

sys.exit(main())
