"""``python -m netkeiba_replica``: the ``keiba-replica`` command."""

import sys

from netkeiba_replica.cli import main

sys.exit(main())
