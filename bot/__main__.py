"""`python -m bot` is the same program as `cohortbot`."""

from __future__ import annotations

import sys

from bot.cli import main

sys.exit(main())
