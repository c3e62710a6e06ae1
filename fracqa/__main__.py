"""`python -m fracqa` is the `fracqa` command."""

from fracqa.cli import command

command()
