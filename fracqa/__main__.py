"""`python -m fracqa` is the `fracqa` command."""

import sys

from fracqa.cli import main

sys.exit(main())
