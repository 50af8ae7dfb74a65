"""``rrscore warmup``: compile every numba kernel once, into numba's on-disk cache."""

from __future__ import annotations

import click

from rrscore.cli._app import main


@main.command("warmup")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def warmup_command(quiet) -> None:
    """Compile every scoring kernel once, so that no later run pays for compilation.

    The first call of a method after installing rrscore compiles its numba kernels (seconds
    to tens of seconds per method); later runs load them from numba's cache. Run this once
    where rrscore is installed (a Docker image build, a CI job before the tests, after an
    upgrade). The cache goes to $NUMBA_CACHE_DIR when set, else next to the installed
    sources when writable, else the user's cache directory; it holds machine code for this
    CPU, so build it on the machine (or image) that runs rrscore.
    """
    from rrscore.warmup import warmup

    warmup(verbose=not quiet)
