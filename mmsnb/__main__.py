"""``python -m mmsnb``: the same as the ``mmsnb`` command."""

import sys

from .cli import main

sys.exit(main())
