"""``python -m bmrlab.cli``: the same as the ``bmrlab`` command."""

import sys

from . import main

sys.exit(main())
