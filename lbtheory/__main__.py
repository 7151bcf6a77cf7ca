"""``python -m lbtheory``: the command line (:mod:`lbtheory.cli`)."""

import sys

from lbtheory.cli import main

sys.exit(main())
