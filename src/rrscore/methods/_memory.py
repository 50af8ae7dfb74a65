"""Memory pre-flight: refuse a call whose arrays cannot fit, before any work is done.

A scoring call allocates its output (samples × sets float64 per output) and, for methods that
need the whole matrix, working arrays of the input's size (GSVA's log-odds, PLAGE's gene-major
copy). When those exceed the memory the process can still get, Linux's OOM killer ends the
process minutes later — with it a user's notebook and everything in it. :func:`check_memory`
compares the call's estimate with :func:`available_memory` first and raises a clear
:class:`~rrscore.errors.InsufficientMemoryError` instead.

The available memory is the smaller of the system's (``MemAvailable`` in ``/proc/meminfo``;
``psutil`` on other systems, when installed) and what the process's cgroup still allows
(cgroup v2 ``memory.max - memory.current``, v1 ``memory.limit_in_bytes - usage_in_bytes``):
a SLURM job or a container is limited by its cgroup, not by the machine. Where neither can
be read the check is skipped. Setting the environment variable ``RRSCORE_MEMORY_CHECK=0``
skips it too (e.g. with swap the user is prepared to wait for).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rrscore.errors import InsufficientMemoryError

#: Environment variable that turns the check off when set to ``0``/``false``/``no``/``off``.
ENV_SWITCH = "RRSCORE_MEMORY_CHECK"
_OFF = {"0", "false", "no", "off"}
#: Calls needing less than this are not checked.
MIN_CHECKED = 64 << 20


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (no limit) reads as None


def _meminfo_available(root: Path) -> int | None:
    try:
        lines = (root / "proc" / "meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemAvailable:"):
            parts = line.split()
            return int(parts[1]) * 1024 if len(parts) >= 2 and parts[1].isdigit() else None
    return None


def _cgroup_available(root: Path) -> int | None:
    """What the process's cgroup still allows (limit - usage), or None if unlimited/unknown."""
    try:
        entries = (root / "proc" / "self" / "cgroup").read_text().splitlines()
    except OSError:
        return None
    base = root / "sys" / "fs" / "cgroup"
    room = []
    for entry in entries:
        fields = entry.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, rel = fields
        rel = rel.lstrip("/")
        if controllers == "":  # cgroup v2: one unified hierarchy
            limit = _read_int(base / rel / "memory.max")
            usage = _read_int(base / rel / "memory.current")
        elif "memory" in controllers.split(","):  # cgroup v1
            limit = _read_int(base / "memory" / rel / "memory.limit_in_bytes")
            usage = _read_int(base / "memory" / rel / "memory.usage_in_bytes")
        else:
            continue
        # v1 reports "no limit" as a huge number (2^63 rounded to pages)
        if limit is not None and usage is not None and limit < (1 << 60):
            room.append(max(0, limit - usage))
    return min(room) if room else None


def available_memory(root: str | os.PathLike = "/") -> int | None:
    """Bytes of memory this process can still allocate without swapping, or None if unknown.

    Parameters
    ----------
    root
        File-system root to read ``/proc`` and ``/sys/fs/cgroup`` under (tests point it at a
        fake tree).

    Returns
    -------
    int or None
        The smaller of the system's available memory and the cgroup's remaining allowance.
    """
    root = Path(root)
    system = _meminfo_available(root)
    if system is None and str(root) == os.sep:
        try:  # macOS, Windows: psutil when installed (not a dependency)
            import psutil
        except ImportError:
            psutil = None
        if psutil is not None:
            system = int(psutil.virtual_memory().available)
    group = _cgroup_available(root)
    known = [v for v in (system, group) if v is not None]
    return min(known) if known else None


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def check_memory(
    method: str, n_samples: int, n_sets: int, n_outputs: int, working: int, detail: str,
    *, sample_independent: bool = True, available: Callable[[], int | None] | None = None,
) -> None:
    """Raise if the call's arrays cannot fit in the memory the process can still get.

    Parameters
    ----------
    method
        The method's name (for the message).
    n_samples, n_sets, n_outputs
        The output: ``n_outputs`` arrays of ``n_samples × n_sets`` float64 (side by side, so
        twice that while they are split).
    working
        Bytes of the method's own working arrays beyond the output (its
        ``MethodSpec.working_memory``), 0 when bounded by a chunk.
    detail
        What ``working`` consists of, in words (for the message).
    sample_independent
        Whether a sample's score depends on that sample only (then scoring the samples in
        batches gives the same scores, and the message says so; else it warns that batches
        would change them).
    available
        Source of the available memory; default :func:`available_memory`.

    Raises
    ------
    InsufficientMemoryError
        When the estimate exceeds the available memory.
    """
    if os.environ.get(ENV_SWITCH, "").strip().lower() in _OFF:
        return
    output = 8 * n_samples * n_sets * n_outputs * (2 if n_outputs > 1 else 1)
    need = output + max(0, int(working))
    if need < MIN_CHECKED:  # small calls: not worth reading /proc
        return
    room = (available or available_memory)()
    if room is None or need <= room:
        return
    parts = [f"the scores, {n_samples:,} samples × {n_sets:,} sets × {n_outputs} output(s) "
             f"float64: {_size(output)}"]
    if working > 0:
        parts.append(f"{detail}: {_size(working)}")
    if sample_independent:
        advice = (f"Score fewer sets per call, or the samples in batches ({method} scores "
                  "each sample on its own: batches give the same scores), or free memory.")
    else:
        advice = (f"Score fewer sets per call or free memory; scoring the samples in batches "
                  f"would change {method}'s scores (they depend on all the samples scored "
                  "together).")
    raise InsufficientMemoryError(
        f"{method} would need about {_size(need)} ({'; '.join(parts)}), but only "
        f"{_size(room)} of memory is available to this process (system and cgroup limit): "
        f"it would be killed by the system part-way. {advice} To run anyway (e.g. with "
        f"swap), set {ENV_SWITCH}=0."
    )
