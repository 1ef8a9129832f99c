"""``python -m webexplorer`` is the ``webexplorer`` command."""

import sys

from webexplorer.cli import main

sys.exit(main())
