"""The leading eigenvector of a Gram matrix, for PLAGE: Lanczos with a LAPACK fallback.

PLAGE needs, per gene set, the eigenvector of the largest eigenvalue of a symmetric positive
semi-definite ``d × d`` matrix ``A`` (the set's Gram matrix, ``d = min(genes, samples)``).
LAPACK's ``syevr`` reduces the whole matrix to tridiagonal form first, ``4/3·d³`` operations
at matrix-vector speed: 10 ms at ``d = 480``, more than the Gram matrix itself. Here:

* ``d <= SMALL`` (200): LAPACK ``syevr`` (subset: the top eigenpair);
* larger: the Lanczos process from a fixed pseudo-random start vector (:func:`start_vector`,
  so the result does not depend on anything but the matrix). Each step is one symmetric
  matrix-vector product that reads only the lower triangle of ``A`` (:func:`_symv_lower`:
  half the bytes of a full ``gemv``; above ~250 dimensions the matrix no longer fits in
  L2, so a step's time is the time to read it: ~45 GB/s, 13 µs at ``d = 380``, vs 17 µs
  for NumPy's full product), the three-term recurrence, and one classical Gram-Schmidt pass
  against every earlier Lanczos vector (full reorthogonalisation; a second pass where the
  first cancelled much of the vector, the Daniel–Gragg–Kaufman–Stewart test: it never
  triggered on the benchmark data). The top eigenpair ``(θ1, s)`` of the tridiagonal ``T``
  (bisection on Sturm counts, inverse iteration, Rayleigh quotient), with ``θ2`` the second
  eigenvalue of ``T``, gives the residual of the Ritz vector ``ρ = β·|s_last|``; by the
  Davis–Kahan bound its angle to the eigenvector is at most ``ρ / gap``, the gap estimated
  by ``θ1 - θ2``. It stops when ``ρ <= 1e-13·(θ1 - θ2)`` (a margin of 10 below the 1e-12
  the tests ask), or when ``ρ`` is at the rounding level of ``A`` itself (``16·ε·θ1``,
  the accuracy LAPACK's vectors have too). Without convergence within ``max(64, 2d/3)``
  steps (where the Lanczos work would exceed the reduction's), or when ``θ1`` is below a
  diagonal entry of ``A`` (it cannot be the largest eigenvalue then), ``syevr`` computes
  the vector.

When to check (:func:`_next_check`): first after 8 steps, then where the fall of
``log(ρ / (1e-13·gap))`` since the last check says convergence is near (1–8 steps on; 4
while it does not fall). Each check's bisections start from the previous check's ``θ1``
and ``θ2`` (by Cauchy interlacing neither falls as ``T`` grows), each bracket confirmed by
a Sturm count. This changes when the rule is tested, never the rule.

Measured (one thread, CPU time, shared 2-core machine, ``N = 1,000`` samples; commit
``3517070`` vs ``00e989d``): independent genes (the smallest gaps: 45–81 steps) Lanczos
0.16 / 0.48 / 1.48 / 2.49 ms at ``d`` = 96 / 200 / 380 / 480 (before: 0.34 / 0.85 / 2.67 /
3.9 ms; LAPACK 0.28 / 1.25 / 5.6 / 10.3 ms); genes sharing 3 factors: 12–13 steps, 0.03 /
0.07 / 0.24 / 0.40 ms. On 600 sets of 10–500 genes (``bench_many_sets.py --sizes uniform``
data) the eigenvectors take 0.75 s instead of 1.24 s. Vectors within 2e-14 of the previous
code's and of LAPACK's. The kernels are ``nogil`` numba with no parallel region, so PLAGE's
threads run them side by side.

Tried and kept out (session 6, uniform-workload Gram matrices, one thread): no Gram-Schmidt
pass: same steps, 20 % less time, but vectors only within 1e-13 of LAPACK's, explicit
residuals up to 1.4e-12 of the gap; eight rows per pass in :func:`_symv_lower`: 0–20 % slower.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from rrscore._numba import numba

#: Gram matrices up to this dimension go to LAPACK directly. Lanczos is faster from ~64
#: dimensions up (0.16 vs 0.28 ms at 96, 0.48 vs 1.25 ms at 200 on independent genes, 0.07
#: vs 1.3 ms at 200 on correlated ones, one thread) but its kernels cost ~4 s of
#: compilation on a cold numba cache (the first call after an install: 5.5 CPU-s for a call
#: with a 300-gene set, 10.8 s before they were rewritten as plain loops, load ~3), so a
#: call whose sets all have at most 200 genes (or
#: samples), like most MSigDB sets, compiles none (PLAGE's cold first call on
#: ``bench_first_call.py``'s 20 sets of 20-200 genes: 2.0 s).
SMALL = 200
#: ... but when a call compiles them anyway (some Gram matrix above SMALL), Lanczos takes
#: every Gram matrix from this dimension up (:func:`leading_eigenvector`'s ``lapack_up_to``).
LANCZOS_FROM = 64
#: Stop when the residual bound is below this fraction of the spectral gap.
GAP_TOL = 1e-13
#: ... or at this many machine epsilons of the top eigenvalue (LAPACK's own accuracy).
ROUNDING = 16 * np.finfo(np.float64).eps
_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)


def start_vector(d: int) -> np.ndarray:
    """The Lanczos start vector for dimensions up to ``d`` (its first ``d`` entries).

    Fixed pseudo-random numbers (seeded): a start with no component along the wanted
    eigenvector has probability 0, and the same matrix always gives the same result.
    """
    return np.random.default_rng(20050101).standard_normal(max(int(d), 1))


def max_steps(d: int) -> int:
    """Lanczos steps before handing over to LAPACK: its cost, ``4/3·d³``, is then near."""
    return int(min(d, max(64, (2 * d) // 3)))


#: Flags for the inner loops of the matrix-vector product and the orthogonalisation: letting
#: LLVM reassociate sums is what vectorises a dot product (the result differs from a sequential
#: sum by rounding only, and is the same on every call).
_VECTORISE = {"reassoc", "nsz", "contract"}


@numba.njit(cache=True, nogil=True, fastmath=_VECTORISE)
def _symv_lower(A, x, y):
    """``y = A x`` for symmetric ``A`` given by its lower triangle (row ``i``: ``A[i, :i+1]``).

    Reads half the matrix, which is what a Lanczos step's time is (the matrix does not fit
    in L1/L2 above ~250 dimensions: the product is memory-bound). Four rows at a time: each
    row's part left of the diagonal is used twice, as a row (a dot product with ``x``) and
    as a column (``y += row * x[i]``), so every value read feeds two multiply-adds.
    """
    d = len(x)
    for i in range(d):
        y[i] = 0.0
    i = 0
    while i + 4 <= d:
        r0 = A[i]
        r1 = A[i + 1]
        r2 = A[i + 2]
        r3 = A[i + 3]
        x0 = x[i]
        x1 = x[i + 1]
        x2 = x[i + 2]
        x3 = x[i + 3]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for t in range(i):
            xt = x[t]
            s0 += r0[t] * xt
            s1 += r1[t] * xt
            s2 += r2[t] * xt
            s3 += r3[t] * xt
            y[t] += r0[t] * x0 + r1[t] * x1 + r2[t] * x2 + r3[t] * x3
        # the 4 × 4 block on the diagonal: its lower triangle, both ways
        for r in range(4):
            row = A[i + r]
            s = 0.0
            for t in range(i, i + r):
                s += row[t] * x[t]
                y[t] += row[t] * x[i + r]
            y[i + r] += s + row[i + r] * x[i + r]
        y[i] += s0
        y[i + 1] += s1
        y[i + 2] += s2
        y[i + 3] += s3
        i += 4
    while i < d:
        row = A[i]
        xi = x[i]
        s = 0.0
        for t in range(i):
            s += row[t] * x[t]
            y[t] += row[t] * xi
        y[i] += s + row[i] * xi
        i += 1
    return y


@numba.njit(cache=True, nogil=True, fastmath=_VECTORISE)
def _dot(a, b):
    s = 0.0
    for t in range(len(a)):
        s += a[t] * b[t]
    return s


@numba.njit(cache=True, nogil=True, fastmath=_VECTORISE)
def _project_out(Q, m, w, c):
    """Classical Gram-Schmidt: ``c = Q[:m] w``, then ``w -= c Q[:m]`` (4 rows per pass)."""
    d = len(w)
    i = 0
    while i < m:
        r = min(4, m - i)
        r0 = Q[i]
        r1 = Q[i + 1] if r > 1 else r0
        r2 = Q[i + 2] if r > 2 else r0
        r3 = Q[i + 3] if r > 3 else r0
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for t in range(d):
            wt = w[t]
            s0 += r0[t] * wt
            s1 += r1[t] * wt
            s2 += r2[t] * wt
            s3 += r3[t] * wt
        # rows past m repeat r0 in the sums above; their coefficients are 0 below
        c[i] = s0
        if r > 1:
            c[i + 1] = s1
        else:
            s1 = 0.0
        if r > 2:
            c[i + 2] = s2
        else:
            s2 = 0.0
        if r > 3:
            c[i + 3] = s3
        else:
            s3 = 0.0
        for t in range(d):
            w[t] -= s0 * r0[t] + s1 * r1[t] + s2 * r2[t] + s3 * r3[t]
        i += 4


@numba.njit(cache=True, nogil=True)
def _count_below(a, b2, n, x, pivmin):
    """Eigenvalues of the tridiagonal (diagonal a, squared off-diagonal b2) below x."""
    count = 0
    d = a[0] - x
    if abs(d) < pivmin:
        d = -pivmin
    if d < 0.0:
        count += 1
    for i in range(1, n):
        d = (a[i] - x) - b2[i - 1] / d
        if abs(d) < pivmin:
            d = -pivmin
        if d < 0.0:
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def _kth_largest(a, b2, n, below, lo, hi, pivmin, rel):
    """The eigenvalue in ``[lo, hi]`` with ``below - 1`` eigenvalues below it (the
    ``n - below + 1``-th largest) by bisection, to ``rel``."""
    for _ in range(200):
        if hi - lo <= rel * max(abs(lo), abs(hi)) + pivmin:
            break
        mid = 0.5 * (lo + hi)
        if _count_below(a, b2, n, mid, pivmin) >= below:
            hi = mid  # at least `below` eigenvalues below mid: the wanted one is too
        else:
            lo = mid
    return 0.5 * (lo + hi)


# inlined into its one caller: a function of its own costs a compilation of its own
@numba.njit(cache=True, nogil=True, inline="always")
def _tridiagonal_solve(diag, off, rhs, tiny, n, d, du, dl):
    """Solve (tridiagonal with diagonal ``diag``, both off-diagonals ``off``) x = rhs.

    Gaussian elimination with partial pivoting (LAPACK ``dgtsv``); a zero pivot becomes
    ``tiny``, as inverse iteration wants. ``rhs[:n]`` is overwritten with the solution;
    ``d``, ``du``, ``dl`` are scratch of ``n`` values.
    """
    for i in range(n):
        d[i] = diag[i]
    for i in range(n - 1):
        du[i] = off[i]
        dl[i] = off[i]  # becomes the second superdiagonal where rows are interchanged
    for i in range(n - 1):
        if abs(d[i]) >= abs(dl[i]):
            if d[i] == 0.0:
                d[i] = tiny
            fact = dl[i] / d[i]
            d[i + 1] -= fact * du[i]
            rhs[i + 1] -= fact * rhs[i]
            dl[i] = 0.0
        else:
            fact = d[i] / dl[i]
            d[i] = dl[i]
            temp = d[i + 1]
            d[i + 1] = du[i] - fact * temp
            if i < n - 2:
                dl[i] = du[i + 1]
                du[i + 1] = -fact * dl[i]
            else:
                dl[i] = 0.0
            du[i] = temp
            temp = rhs[i]
            rhs[i] = rhs[i + 1]
            rhs[i + 1] = temp - fact * rhs[i + 1]
    if d[n - 1] == 0.0:
        d[n - 1] = tiny
    rhs[n - 1] /= d[n - 1]
    if n > 1:
        rhs[n - 2] = (rhs[n - 2] - du[n - 2] * rhs[n - 1]) / d[n - 2]
    for i in range(n - 3, -1, -1):
        rhs[i] = (rhs[i] - du[i] * rhs[i + 1] - dl[i] * rhs[i + 2]) / d[i]


@numba.njit(cache=True, nogil=True)
def _top_ritz(a, b, n, below1, below2, step1, work):
    """``(θ1, θ2)``: the two largest eigenvalues of T (n × n); θ1's unit eigenvector is
    left in ``work[:n]`` (``work``: scratch of ``6 n`` values).

    θ1 by bisection to 1e-9 (relative), then the Rayleigh quotient of its inverse-iteration
    vector (exact to rounding: its error is the square of the vector's); θ2 to 1e-4, as it
    only measures the gap. ``below1``, ``below2``: θ1 and θ2 of a leading block of T (the
    previous check), which by Cauchy interlacing are at most this T's; ``step1``: how much
    θ1 rose at the previous check. They narrow the bisection brackets (fewer Sturm counts);
    every bracket is first confirmed by a Sturm count, else Gershgorin's is used.
    """
    s = work[:n]
    b2 = work[n:2 * n]
    shifted = work[2 * n:3 * n]
    d = work[3 * n:4 * n]
    du = work[4 * n:5 * n]
    dl = work[5 * n:6 * n]
    radius = 0.0
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        left = abs(b[i - 1]) if i > 0 else 0.0
        right = abs(b[i]) if i < n - 1 else 0.0
        lo = min(lo, a[i] - left - right)
        hi = max(hi, a[i] + left + right)
        radius = max(radius, abs(a[i]) + left + right)
        if i < n - 1:
            b2[i] = b[i] * b[i]
    pivmin = max(radius * 1e-300, _TINY)
    # θ1 is above below1 when fewer than n eigenvalues are below it; it is below
    # below1 + a few times the last rise when all n are (else try 16 times wider)
    lo1 = lo
    hi1 = hi
    if lo < below1 < hi and _count_below(a, b2, n, below1, pivmin) < n:
        lo1 = below1
        width = max(4.0 * step1, 1e-8 * abs(below1))
        while lo1 + width < hi:
            if _count_below(a, b2, n, lo1 + width, pivmin) == n:
                hi1 = lo1 + width
                break
            width *= 16.0
    shift = _kth_largest(a, b2, n, n, lo1, hi1, pivmin, 1e-9)
    theta2 = lo
    if n > 1:
        lo2 = lo
        if lo < below2 < shift and _count_below(a, b2, n, below2, pivmin) < n - 1:
            lo2 = below2
        theta2 = _kth_largest(a, b2, n, n - 1, lo2, shift, pivmin, 1e-4)
    # inverse iteration: the shift is within 1e-9 of θ1, so each solve gains that much
    # over the gap; three are plenty
    for i in range(n):
        s[i] = 1.0
        shifted[i] = a[i] - shift
    tiny = _EPS * max(radius, 1e-300)
    for _ in range(3):
        _tridiagonal_solve(shifted, b, s, tiny, n, d, du, dl)
        norm = 0.0
        for i in range(n):
            norm += s[i] * s[i]
        norm = np.sqrt(norm)
        for i in range(n):
            s[i] /= norm
    theta1 = a[0] * s[0] * s[0]
    for i in range(1, n):
        theta1 += a[i] * s[i] * s[i] + 2.0 * b[i - 1] * s[i - 1] * s[i]
    return theta1, theta2


# inlined into its one caller: a function of its own costs a compilation of its own
@numba.njit(cache=True, nogil=True, inline="always")
def _next_check(steps, level, last_steps, last_level):
    """The step of the next convergence check, from how fast log(ρ / (tol·gap)) falls.

    Four steps on, as long as it has not fallen since the last check; else 0.7 of the steps
    that its last rate of fall needs to reach 0 (Lanczos convergence speeds up, so the rate
    under-estimates the next steps' fall), 1 to 8 steps.
    """
    if last_steps == 0 or not level < last_level:
        return steps + 4
    rate = (last_level - level) / (steps - last_steps)
    return steps + max(1, min(8, int(0.7 * level / rate)))


@numba.njit(cache=True, nogil=True)
def _lanczos_top(A, Q, alpha, beta, c, w, ritz, gap_tol, rounding):
    """Lanczos for the top eigenvector of symmetric ``A`` (its lower triangle).

    ``Q``: ``(m + 1, d)`` rows, the first the unit start vector, the others filled with the
    Lanczos vectors (``m`` steps at most); ``alpha``, ``beta``, ``c``: ``m + 1`` values;
    ``w``: ``d``; ``ritz``: ``6 m``. Returns the steps taken when converged, the top Ritz
    vector's coordinates in ``ritz[:steps]`` (the vector is ``ritz[:steps] @ Q[:steps]``),
    else 0.
    """
    d = A.shape[0]
    m = Q.shape[0] - 1
    top_diag = 0.0
    for i in range(d):
        top_diag = max(top_diag, A[i, i])
    theta1 = -np.inf
    theta2 = -np.inf
    rise = 0.0
    next_check = 8
    last_steps = 0
    last_level = np.inf
    for j in range(m):
        q = Q[j]
        _symv_lower(A, q, w)
        a = _dot(w, q)
        # the three-term recurrence, then full reorthogonalisation against every Lanczos
        # vector, twice where the first pass cancelled much of w (Daniel–Gragg–Kaufman–
        # Stewart: "twice is enough"); the coefficient along q_j corrects α
        b = beta[j - 1] if j > 0 else 0.0
        p = Q[j - 1] if j > 0 else q
        for t in range(d):
            w[t] -= a * q[t] + b * p[t]
        before = np.sqrt(_dot(w, w))
        _project_out(Q, j + 1, w, c)
        a += c[j]
        after = np.sqrt(_dot(w, w))
        if after < 0.7071 * before:
            _project_out(Q, j + 1, w, c)
            a += c[j]
            after = np.sqrt(_dot(w, w))
        alpha[j] = a
        beta[j] = after
        steps = j + 1
        # a breakdown (β ≈ 0) leaves an invariant subspace: T's top pair is then exact
        breakdown = after <= rounding * max(abs(a), top_diag)
        if breakdown or steps == m or steps >= next_check:
            new1, theta2 = _top_ritz(alpha, beta, steps, theta1, theta2, rise, ritz)
            rise = new1 - theta1 if theta1 > -np.inf else 0.0
            theta1 = new1
            rho = after * abs(ritz[steps - 1])
            gap = theta1 - theta2 if steps > 1 else theta1
            if theta1 > 0 and theta1 >= top_diag * (1 - 1e-12) and (
                    rho <= gap_tol * gap or rho <= rounding * theta1 or breakdown):
                return steps
            if breakdown:
                return 0
            target = gap_tol * gap
            level = np.log(rho / target) if target > 0 and rho > 0 else np.inf
            next_check = _next_check(steps, level, last_steps, last_level)
            last_steps = steps
            last_level = level
        inv = 1.0 / after
        nq = Q[j + 1]
        for t in range(d):
            nq[t] = w[t] * inv
    return 0


def _lanczos(A: np.ndarray, q0: np.ndarray, steps_max: int, gap_tol: float, rounding: float,
             basis_store: np.ndarray) -> tuple[np.ndarray, bool, int]:
    """:func:`_lanczos_top` on ``A`` (C-contiguous, lower triangle) from ``q0[:d]``:
    ``(unit vector, converged, steps)``."""
    d = A.shape[0]
    m = min(steps_max, d)
    Q = basis_store[: (m + 1) * d].reshape(m + 1, d)
    Q[0] = q0[:d]
    Q[0] /= np.sqrt(Q[0] @ Q[0])
    ritz = np.empty(6 * m)
    steps = _lanczos_top(A, Q, np.zeros(m + 1), np.zeros(m + 1), np.empty(m + 1),
                         np.empty(d), ritz, gap_tol, rounding)
    if not steps:
        return np.zeros(d), False, m
    vec = ritz[:steps] @ Q[:steps]
    return vec / np.sqrt(vec @ vec), True, steps


def basis_size(d: int) -> int:
    """Floats of Lanczos workspace a ``d × d`` problem needs (:func:`leading_eigenvector`;
    only ``d > SMALL`` touches it)."""
    return (max_steps(d) + 1) * d


def leading_eigenvector(A: np.ndarray, q0: np.ndarray, work: np.ndarray | None = None,
                        lapack_up_to: int = SMALL) -> np.ndarray:
    """Unit eigenvector of the largest eigenvalue of the symmetric PSD matrix ``A``.

    Parameters
    ----------
    A
        ``(d, d)`` float64, symmetric positive semi-definite; only its lower triangle
        (``A[i, j]``, ``j <= i``) is read (as from BLAS ``syrk``), the rest may hold anything.
        Not C-contiguous: copied.
    q0
        At least ``d`` start values (:func:`start_vector`).
    work
        Optional 1-D float64 workspace of at least :func:`basis_size` ``(d)`` values (reused
        across calls by one thread).
    lapack_up_to
        Dimensions up to this go to LAPACK ``syevr`` directly; larger ones to Lanczos (which
        hands over to LAPACK when it does not converge). Default :data:`SMALL`; a caller that
        runs Lanczos anyway may pass ``LANCZOS_FROM - 1``. Either way the vector is within
        ~1e-13 of the exact one.

    Returns
    -------
    numpy.ndarray
        ``(d,)`` unit vector; its sign is arbitrary.
    """
    d = A.shape[0]
    A = np.ascontiguousarray(A, dtype=np.float64)
    if d > lapack_up_to:
        if work is None or len(work) < basis_size(d):
            work = np.empty(basis_size(d))
        vec, ok, _ = _lanczos(A, q0, max_steps(d), GAP_TOL, ROUNDING, work)
        if ok:
            return vec
    return _lapack_top(A)


#: LAPACK ``dsyevr`` workspace sizes by dimension (its query, once per dimension).
_LWORK: dict[int, tuple[int, int]] = {}


def _lapack_top(A: np.ndarray) -> np.ndarray:
    """The top eigenvector of ``A`` (lower triangle) by LAPACK ``dsyevr``: ``scipy.linalg.eigh
    (A, lower=True, subset_by_index=[d - 1, d - 1])``'s, bit for bit, without its per-call
    argument handling and workspace query (~30 µs of 40–130 µs at ``d`` = 25–60)."""
    d = A.shape[0]
    lwork = _LWORK.get(d)
    if lwork is None:
        query = scipy.linalg.lapack.dsyevr_lwork(d, lower=1)
        lwork = _LWORK[d] = (int(query[0]), int(query[1]))
    _, u, _, _, info = scipy.linalg.lapack.dsyevr(A, compute_v=1, range="I", lower=1, il=d,
                                                  iu=d, lwork=lwork[0], liwork=lwork[1])
    if info != 0:  # let SciPy raise its error
        u = scipy.linalg.eigh(A, lower=True, subset_by_index=[d - 1, d - 1],
                              check_finite=False)[1]
    return u[:, 0]
