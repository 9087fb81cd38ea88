"""``python -m mmsnb``: the same as the ``mmsnb`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
