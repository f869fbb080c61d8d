"""``python -m tinct.plugin.resolve NODE``: run a Tinct node on the running Resolve's current timeline."""

import sys

from tinct.plugin.resolve.run import main

sys.exit(main())
