"""The method registry: one record per scoring method, looked up by lower-case name.

Adding a method is one module that defines a parameter dataclass, a ``run`` function and a
:class:`MethodSpec` declaring what the method can do (how it reads backed/Dask input, whether a
sample's score depends on that sample only, which genes it leaves out before the size filter),
and one :func:`register` call in :mod:`rrscore.methods`. Nothing outside a method's own module
looks at its name to decide what it can do: the engine, the input layer and the composite ask
the spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError


class ReadMode(NamedTuple):
    """How a method can read input that is not in memory (backed h5ad, Dask).

    Attributes
    ----------
    mode
        ``"blockwise"``: a cell's score depends on that cell only, so blocks of cells are
        scored independently (Dask ``map_blocks``, any scheduler); ``"streaming"``: blocks
        are read one after the other by the method, which may combine them (a first pass for
        gene statistics, a normalisation over all scores); ``"memory"``: the method needs the
        whole matrix at once.
    reason
        Why, in words (shown in the error for ``"memory"`` methods given lazy input).
    """

    mode: Literal["blockwise", "streaming", "memory"]
    reason: str


class ScaleRule(NamedTuple):
    """Which input scales a method's assumptions hold for, and what to do otherwise.

    Attributes
    ----------
    accepted
        Scales (``rrscore.expression._scale.SCALES``: ``counts``, ``log``, ``linear``,
        ``log_ratio``, ``scaled``) the method is meant for.
    advice
        What to do when the data are on another scale (transform, parameter, method).
    """

    accepted: frozenset[str]
    advice: str


@dataclass(frozen=True)
class MethodSpec:
    """Description of a scoring method.

    Attributes
    ----------
    name
        Lower-case method name used in ``rrscore.score(..., method=name)``.
    summary
        One line: what the score is.
    reference
        The implementation rrscore reproduces and the paper.
    params
        Frozen dataclass of the method's parameters (reference names in snake case), with
        defaults; its ``__post_init__`` validates values.
    run
        ``run(expr, aligned_sets, params, *, chunk_size, progress) -> ndarray`` with shape
        ``(n_samples, n_sets)``. It receives an :class:`~rrscore.expression.ExpressionMatrix`
        and :class:`~rrscore.genesets._matching.AlignedSets`, never files or AnnData.
    sample_independent
    sample_independent
        Whether one sample's score depends on that sample only: a bool, or a function of the
        parameters (ssGSEA: only without the range normalisation). Read it through
        :meth:`is_sample_independent`.
    signed_sets
        How the method handles sets with an up and a down part.
    read_mode
        How lazy (backed/Dask) input can be read: a :class:`ReadMode`, or a function of the
        parameters returning one. ``None``: ``"blockwise"`` when the method is sample-
        independent with these parameters, else ``"streaming"`` (a method that then reaches
        for the whole matrix gets a clear error naming it). Read it through
        :meth:`read_mode_for`.
    excluded_genes
        ``excluded_genes(expr, params) -> bool mask or None``: genes the method leaves out of
        every set *before* the size filter (GSVA 1.46's ``.filterFeatures`` drops genes
        constant across samples), so that set sizes, ``min_size`` and the sets scored are
        the reference's. Called on in-memory input only. Read it through
        :meth:`genes_excluded`.
    input_scale
        The input scales the method assumes: a :class:`ScaleRule`, or a function of the
        parameters returning one (GSVA: ``kcdf="poisson"`` is for counts). ``None``: any
        scale. Read it through :meth:`scale_problem`.
    outputs
        Names of the samples × sets arrays the method can return: ``("score",)``, or more
        when ``run_outputs`` is given (singscore: ``("score", "dispersion")``).
    run_outputs
        ``run_outputs(expr, aligned_sets, params, *, outputs, chunk_size, progress) ->
        dict[name, ndarray]``, for methods with more than one output.
    working_memory
        ``working_memory(expr, aligned_sets, params) -> (bytes, what)``: the memory the method
        holds beyond
        its input and output at its peak (GSVA's log-odds, PLAGE's gene-major copy), in words
        for error messages; ``None``: bounded by a chunk. The engine checks it with the
        output against the available memory before the call
        (:func:`rrscore.methods._memory.check_memory`). Read it through
        :meth:`working_memory_for`.
    """

    name: str
    summary: str
    reference: str
    params: type
    run: Callable[..., np.ndarray]
    sample_independent: bool | Callable[[object], bool]
    signed_sets: str
    read_mode: ReadMode | Callable[[object], ReadMode] | None = None
    excluded_genes: Callable[[object, object], np.ndarray | None] | None = None
    input_scale: ScaleRule | Callable[[object], ScaleRule] | None = None
    outputs: tuple[str, ...] = ("score",)
    run_outputs: Callable[..., dict[str, np.ndarray]] | None = None
    working_memory: Callable[[object, object, object], tuple[int, str]] | None = None

    def scale_problem(self, scale: str, params=None) -> str | None:
        """Why data on ``scale`` do not fit this method with ``params``, or None if they do.

        Parameters
        ----------
        scale
            The detected scale of the data (``counts``, ``log``, ``linear``, ``log_ratio``,
            ``scaled``).
        params
            The method's parameter object; ``None``: the defaults.
        """
        rule = self.input_scale
        if callable(rule):
            rule = rule(self._params_or_default(params))
        if rule is None or scale in rule.accepted:
            return None
        return (f"{self.name} assumes {' or '.join(sorted(rule.accepted))} values, but the "
                f"data look like {scale}: {rule.advice}")

    def is_sample_independent(self, params=None) -> bool:
        """Whether one sample's score depends on that sample only, with ``params``.

        Parameters
        ----------
        params
            The method's parameter object; ``None``: the defaults.
        """
        if callable(self.sample_independent):
            return bool(self.sample_independent(self._params_or_default(params)))
        return bool(self.sample_independent)

    def read_mode_for(self, params=None) -> ReadMode:
        """How this method with ``params`` can read backed/Dask input (:class:`ReadMode`)."""
        params = self._params_or_default(params)
        if self.read_mode is None:
            if self.is_sample_independent(params):
                return ReadMode("blockwise", "each sample is scored on its own")
            return ReadMode("streaming", "scores depend on other samples")
        if callable(self.read_mode):
            return self.read_mode(params)
        return self.read_mode

    def working_memory_for(self, expr, sets, params=None) -> tuple[int, str]:
        """``(bytes, what)`` the method holds beyond input and output (``working_memory``)."""
        if self.working_memory is None:
            return 0, "working arrays (bounded by a chunk)"
        return self.working_memory(expr, sets, self._params_or_default(params))

    def genes_excluded(self, expr, params=None) -> np.ndarray | None:
        """Mask of genes left out before the size filter, or None (see ``excluded_genes``)."""
        if self.excluded_genes is None:
            return None
        mask = self.excluded_genes(expr, self._params_or_default(params))
        if mask is None or not np.any(mask):
            return None
        return np.asarray(mask, dtype=bool)

    def _params_or_default(self, params):
        return self.params() if params is None else params

    def make_params(self, **kwargs):
        """Validate keyword parameters into the method's parameter object."""
        fields = {f.name for f in dataclasses.fields(self.params)}
        unknown = sorted(set(kwargs) - fields)
        if unknown:
            raise RRScoreError(
                f"method {self.name!r} has no parameter(s) {unknown}; "
                f"its parameters are {sorted(fields) or 'none'}"
            )
        return self.params(**kwargs)


_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add a method to the registry: the one line a new method needs.

    Parameters
    ----------
    spec
        The method's :class:`MethodSpec` (its name must be new, lower case).

    Returns
    -------
    MethodSpec
        ``spec``, so that ``SPEC = register(MethodSpec(...))`` works.

    Raises
    ------
    ValueError
        When a method of that name is already registered.
    """
    if spec.name in _REGISTRY:
        raise ValueError(f"method {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def get_method(name: str) -> MethodSpec:
    """Look a method up by name (case-insensitive).

    Parameters
    ----------
    name
        A registered method's name (``rrscore.list_methods()`` lists them).

    Returns
    -------
    MethodSpec
        Its record: parameters, capabilities (:meth:`MethodSpec.is_sample_independent`,
        :meth:`MethodSpec.read_mode_for`) and reference.

    Raises
    ------
    RRScoreError
        For an unknown name (the message lists the available ones).
    """
    key = str(name).lower()
    if key not in _REGISTRY:
        raise RRScoreError(f"unknown method {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def list_methods() -> pd.DataFrame:
    """A table of the registered methods with their parameters and defaults.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``summary``, ``parameters`` (with defaults),
        ``sample_independent`` (with the default parameters), ``signed_sets`` and
        ``reference``.
    """
    rows = []
    for spec in _REGISTRY.values():
        params = ", ".join(
            f"{f.name}={f.default!r}" if f.default is not dataclasses.MISSING else f.name
            for f in dataclasses.fields(spec.params)
        )
        rows.append(
            {
                "method": spec.name,
                "summary": spec.summary,
                "parameters": params,
                "sample_independent": spec.is_sample_independent(),
                "signed_sets": spec.signed_sets,
                "reference": spec.reference,
            }
        )
    return pd.DataFrame(rows)
