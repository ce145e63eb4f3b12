"""``python -m journeykit`` runs the CLI."""

from journeykit.cli import main

main()
