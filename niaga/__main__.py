"""Allow ``python -m niaga``."""

from niaga.cli import app

app(prog_name="niaga")
