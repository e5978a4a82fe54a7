"""`python -m broker.cli` runs the command line."""

from broker.cli import main

main()
