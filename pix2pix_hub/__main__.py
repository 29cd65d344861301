"""`python -m pix2pix_hub` is `pix2pix-hub`."""

import sys

from .cli import main

sys.exit(main())
