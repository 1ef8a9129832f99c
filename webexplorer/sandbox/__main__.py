"""``python -m webexplorer.sandbox [run|build]``: the sandbox without the rest of the CLI."""

import sys

from webexplorer.sandbox.command import main

sys.exit(main())
