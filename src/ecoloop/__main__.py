"""`python -m ecoloop`: the same as the `ecoloop` command."""

from ecoloop.cli import main

main()
