"""`python -m demo_source`: see `demo_source.cli`."""

from demo_source.cli import main

main()
