"""`python -m logad` runs the CLI."""

import sys

from logad.cli import main

sys.exit(main())
