"""Per-race ranking models: a score per runner, a softmax over each race's field.

A race is won against a field, so the model this module fits never scores a
runner on its own: P(runner i wins race r) = exp(s_i) / sum over r's runners
of exp(s_j), with s = f(pre-race features). Two objectives, one code path:

- **conditional logit** (McFadden; Bolton & Chapman 1986 for racing): the
  likelihood of each race's winner. It optimises exactly the race log loss the
  reports score, where a per-runner classifier is calibrated afterwards.
- **Plackett–Luce**: the finishing order as successive choices — the winner
  from the field, the second from the rest, and so on. Every placing is an
  observation, so a race tells the model up to ~12 times as much as its winner
  alone. ``depth`` caps how many placings count (1 = the conditional logit):
  in real racing the lower placings are noisier, as Benter found, because
  beaten jockeys ease off.

The market enters as Benter's second stage, fitted elsewhere
(:mod:`forecast_keiba.models.fitting` blends a fitted model with final odds on
calibration days the scores were not fitted on); this module only fits scores.

Why JAX: the fit is a full-batch likelihood over padded races, i.e. a few dense
array operations and their gradient, which ``jax.jit`` compiles for whichever
device holds the arrays. JAX's CPU wheels (``jax`` + ``jaxlib``) come from PyPI
and are small, while PyTorch's Linux wheels pull gigabytes of CUDA libraries
(its CPU-only build lives on another index); the GPU machine this project may
borrow has JAX with its CUDA plugin. The device is one argument of
:func:`fit_scores` — CPU and CUDA run the same function, in float64 (JAX's
x64 mode, switched on only while fitting), so their fits agree to ~1e-6
instead of float32's ~1e-3. The optimiser is a full-batch L-BFGS
(:func:`lbfgs`) written in JAX: with linear scores and an L2 penalty the loss
is strictly convex, so the optimum is unique and the result does not depend on
the device or on a random seed; a hidden layer (``hidden > 0``) makes it
non-convex, its start is then seeded.

Prediction needs no JAX: the fitted parameters are numpy arrays and the scores
a numpy expression, so a pickled model serves (MLflow) without the framework.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

OBJECTIVES = ("conditional_logit", "plackett_luce")
# A padded slot's score: finite (an -inf would turn gradients into NaN) and far
# below any real score, so exp() of it is exactly 0 in float64.
_PAD_SCORE = -1e9
# JAX reserves 75% of a GPU's memory at its first use by default; a training
# node shares its GPU with other tasks, and this model needs megabytes.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


@dataclass(frozen=True)
class RaceBatch:
    """Runners of many races, padded to the largest field.

    Slots of a race hold its runners in finishing order (runners without a
    position — pulled up, disqualified — after the finishers), so choice k of
    Plackett–Luce is slot k and its alternatives are slots k.. of the race."""

    x: np.ndarray  # (races, slots, features) float64
    mask: np.ndarray  # (races, slots) bool: a runner in this slot
    chosen: np.ndarray  # (races, slots) bool: slot k is the k-th choice the likelihood counts
    rows: np.ndarray  # (races, slots) int: the runner's row in the input, -1 for padding


def pack_races(
    x: np.ndarray,
    race_id: np.ndarray,
    finish_position: np.ndarray,
    *,
    depth: int | None = None,
) -> RaceBatch:
    """Pad runners (rows of ``x``) into races sorted by finish; the first ``depth``
    placings of each race are choices (None = every placed runner).

    Rows without a finish position take part as alternatives only. Dead heats
    keep input order (one of them counts as first, the other as second)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(race_id) or len(x) != len(finish_position):
        raise ValueError("x must be (runners, features) with one race_id and position per row")
    position = np.asarray(finish_position, dtype=np.float64)
    _, race = np.unique(np.asarray(race_id), return_inverse=True)
    sort_key = np.where(np.isfinite(position), position, np.inf)
    order = np.lexsort((np.arange(len(x)), sort_key, race))
    race_sorted = race[order]
    sizes = np.bincount(race_sorted)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    slot = np.arange(len(x)) - starts[race_sorted]
    n_races, n_slots = len(sizes), int(sizes.max()) if len(sizes) else 0
    rows = np.full((n_races, n_slots), -1, dtype=np.int64)
    rows[race_sorted, slot] = order
    mask = rows >= 0
    placed = np.zeros((n_races, n_slots), dtype=bool)
    placed[race_sorted, slot] = np.isfinite(position[order])
    limit = n_slots if depth is None else int(depth)
    if limit < 1:
        raise ValueError(f"depth must be at least 1 (1 = the winner only), got {depth}")
    # The last runner left is no choice: its probability is 1 whatever the scores.
    chosen = placed & (np.arange(n_slots) < limit) & (np.arange(n_slots) < sizes[:, None] - 1)
    packed = np.zeros((n_races, n_slots, x.shape[1]), dtype=np.float64)
    packed[mask] = x[rows[mask]]
    return RaceBatch(x=packed, mask=mask, chosen=chosen, rows=rows)


def objective_depth(objective: str, depth: int | None) -> int | None:
    """The number of placings an objective counts: the conditional logit is
    Plackett–Luce stopped after the winner."""
    if objective not in OBJECTIVES:
        raise ValueError(f"race model objective {objective!r} is unknown ({', '.join(OBJECTIVES)})")
    return 1 if objective == "conditional_logit" else depth


@dataclass
class ScoreFit:
    """Fitted score parameters (numpy) and how the fit went."""

    params: dict[str, np.ndarray]
    loss: float  # the penalised objective at the optimum, per race
    iterations: int
    converged: bool
    device: str  # where it was fitted, e.g. "cpu" or "cuda:0 (NVIDIA H200)"

    def scores(self, x: np.ndarray) -> np.ndarray:
        return score_numpy(self.params, x)


def score_numpy(params: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """s = x·w (+ tanh(x·U + c)·v with a hidden layer), in numpy: what serving runs."""
    x = np.asarray(x, dtype=np.float64)
    scores = x @ params["w"]
    if "U" in params:
        scores = scores + np.tanh(x @ params["U"] + params["c"]) @ params["v"]
    return scores


def fit_scores(
    batch: RaceBatch,
    *,
    hidden: int = 0,
    l2: float = 1e-3,
    max_iter: int = 500,
    tol: float = 1e-5,
    seed: int = 0,
    device: str = "auto",
) -> ScoreFit:
    """Maximum (penalised) likelihood scores of the choices in ``batch`` on one device.

    The loss per race is -sum over its choices k of (s_k - logsumexp(s_k..)),
    averaged over races, plus ``l2``/2 times the squared weights. There is no
    intercept: a race's softmax ignores anything every runner shares."""
    import jax

    target = resolve_device(device)
    n_features = batch.x.shape[2]
    start = initial_params(n_features, hidden, seed)
    theta0 = np.concatenate([start[k].ravel() for k in _PARAM_ORDER if k in start])
    arrays = _pad_races(batch)
    with _x64():
        on_device = [jax.device_put(a, target) for a in (theta0, *arrays)]
        n_races = float(max(int(batch.chosen.any(axis=1).sum()), 1))
        theta, loss, iterations, gradient = _lbfgs_fit()(
            *on_device, n_races, float(l2), hidden=int(hidden), max_iter=int(max_iter),
            tol=float(tol),
        )  # fmt: skip
        params = _unflatten(np.asarray(theta, dtype=np.float64), n_features, hidden)
    return ScoreFit(
        params={k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
        loss=float(loss),
        iterations=int(iterations),
        converged=float(gradient) <= tol,
        device=describe_device(target),
    )


_PARAM_ORDER = ("w", "U", "c", "v")


def _pad_races(batch: RaceBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, mask, chosen) with empty races added up to a round size (at least 256, then
    steps of an eighth of the power of two below): compiling the fit takes seconds,
    running it far less, so fits of similar sizes share one compiled program, and
    the padding costs at most 1/8 more memory. An empty race adds nothing to the loss."""
    races = batch.x.shape[0]
    step = max(256, 1 << max(races.bit_length() - 3, 0))
    extra = -races % step
    return (
        np.pad(batch.x, ((0, extra), (0, 0), (0, 0))),
        np.pad(batch.mask, ((0, extra), (0, 0))),
        np.pad(batch.chosen, ((0, extra), (0, 0))),
    )


def _unflatten(theta: Any, n_features: int, hidden: int) -> dict[str, Any]:
    """The parameter vector the optimiser sees, as named arrays (numpy or JAX alike)."""
    params = {"w": theta[:n_features]}
    if hidden:
        at = n_features
        params["U"] = theta[at : at + n_features * hidden].reshape(n_features, hidden)
        at += n_features * hidden
        params["c"] = theta[at : at + hidden]
        params["v"] = theta[at + hidden : at + 2 * hidden]
    return params


@functools.cache
def _lbfgs_fit() -> Any:
    """The whole fit as one jitted function of the data. Data are arguments, not
    closure constants: the compiled program is cached per shape and device, and
    does not embed megabytes of constants. The arrays' device decides where it runs."""
    import jax
    import jax.numpy as jnp

    def fit(
        theta0: Any, x: Any, mask: Any, chosen: Any, n_races: float, l2: float,
        *, hidden: int, max_iter: int, tol: float,
    ) -> tuple[Any, ...]:  # fmt: skip
        def loss(theta: Any) -> Any:
            params = _unflatten(theta, x.shape[2], hidden)
            scores = jnp.where(mask, _score_jax(params, x), _PAD_SCORE)
            remaining = jax.lax.cumlogsumexp(scores, axis=1, reverse=True)
            log_lik = jnp.where(chosen, scores - remaining, 0.0).sum()
            penalty = sum(jnp.sum(params[k] ** 2) for k in params if k != "c")
            return -log_lik / n_races + 0.5 * l2 * penalty

        return lbfgs(loss, theta0, max_iter=max_iter, tol=tol)

    return jax.jit(fit, static_argnames=("hidden", "max_iter", "tol"))


def lbfgs(fun: Any, x0: Any, *, max_iter: int, tol: float, memory: int = 10) -> tuple[Any, ...]:
    """Minimise ``fun`` from ``x0`` by L-BFGS with a backtracking (Armijo) line search,
    as JAX loops: (x, f(x), iterations, max |gradient|). Stops when the largest
    gradient component is at most ``tol``, after ``max_iter`` steps, or when no step
    decreases ``fun`` any more.

    Written out rather than ``jax.scipy.optimize.minimize(method="BFGS")``, whose
    zoom line search gives up (status 3) far from the optimum on these losses
    (gradient 0.08 where this reaches 1e-6 on replica2y), and without a further
    dependency (optax): every step is deterministic and the same on every device."""
    import jax
    import jax.numpy as jnp

    value_and_grad = jax.value_and_grad(fun)
    n = x0.shape[0]

    def direction(g: Any, s_hist: Any, y_hist: Any, rho: Any, k: Any) -> Any:
        """The two-loop recursion over a ring buffer; empty slots have rho = 0."""

        def newest_first(j: Any, carry: Any) -> Any:
            q, alpha = carry
            i = (k - 1 - j) % memory
            a = rho[i] * (s_hist[i] @ q)
            return q - a * y_hist[i], alpha.at[i].set(a)

        q, alpha = jax.lax.fori_loop(0, memory, newest_first, (g, jnp.zeros(memory)))
        last = (k - 1) % memory
        yy = y_hist[last] @ y_hist[last]
        first_scale = 1.0 / jnp.maximum(1.0, jnp.linalg.norm(g))
        gamma = jnp.where(rho[last] > 0, (s_hist[last] @ y_hist[last]) / yy, first_scale)

        def oldest_first(j: Any, r: Any) -> Any:
            i = (k + j) % memory
            b = rho[i] * (y_hist[i] @ r)
            return r + s_hist[i] * (alpha[i] - b)

        return -jax.lax.fori_loop(0, memory, oldest_first, gamma * q)

    def line_search(x: Any, f: Any, g: Any, d: Any) -> tuple[Any, ...]:
        slope = g @ d

        def too_long(state: Any) -> Any:
            t, f_new, _, halvings = state
            return (f_new > f + 1e-4 * t * slope) & (halvings < 50)

        def halve(state: Any) -> Any:
            t, _, _, halvings = state
            f_new, g_new = value_and_grad(x + 0.5 * t * d)
            return 0.5 * t, f_new, g_new, halvings + 1

        f1, g1 = value_and_grad(x + d)
        t, f_new, g_new, _ = jax.lax.while_loop(too_long, halve, (1.0, f1, g1, 0))
        return t, f_new, g_new

    def running(state: Any) -> Any:
        k, _, _, g, _, _, _, stalled = state
        return (k < max_iter) & (jnp.max(jnp.abs(g)) > tol) & ~stalled

    def step(state: Any) -> Any:
        k, x, f, g, s_hist, y_hist, rho, _ = state
        d = direction(g, s_hist, y_hist, rho, k)
        # Not a descent direction (rounding): forget the history, go down the gradient.
        descent = g @ d < 0
        d = jnp.where(descent, d, -g / jnp.maximum(1.0, jnp.linalg.norm(g)))
        t, f_new, g_new = line_search(x, f, g, d)
        decreased = f_new < f
        s, y = t * d, g_new - g
        sy = s @ y
        keep = decreased & (sy > 1e-12 * (y @ y))  # the curvature pair is usable
        i = k % memory
        s_hist = jnp.where(keep, s_hist.at[i].set(s), s_hist)
        y_hist = jnp.where(keep, y_hist.at[i].set(y), y_hist)
        rho = jnp.where(keep, rho.at[i].set(1.0 / jnp.where(keep, sy, 1.0)), rho)
        x = jnp.where(decreased, x + s, x)
        f_next = jnp.where(decreased, f_new, f)
        g = jnp.where(decreased, g_new, g)
        return k + 1, x, f_next, g, s_hist, y_hist, rho, ~decreased

    f0, g0 = value_and_grad(x0)
    history = jnp.zeros((memory, n), dtype=x0.dtype)
    state = (0, x0, f0, g0, history, history, jnp.zeros(memory, dtype=x0.dtype), False)
    k, x, f, g, *_ = jax.lax.while_loop(running, step, state)
    return x, f, k, jnp.max(jnp.abs(g))


def initial_params(n_features: int, hidden: int, seed: int) -> dict[str, np.ndarray]:
    """Zero linear weights (the uniform model); a hidden layer starts small and
    random (seeded) so that its units differ, with zero output weights."""
    params = {"w": np.zeros(n_features)}
    if hidden:
        rng = np.random.default_rng(seed)
        params["U"] = rng.normal(0.0, 0.5 / np.sqrt(max(n_features, 1)), (n_features, hidden))
        params["c"] = np.zeros(hidden)
        params["v"] = np.zeros(hidden)
    return params


def _score_jax(params: Mapping[str, Any], x: Any) -> Any:
    import jax.numpy as jnp

    scores = x @ params["w"]
    if "U" in params:
        scores = scores + jnp.tanh(x @ params["U"] + params["c"]) @ params["v"]
    return scores


def resolve_device(device: str = "auto") -> Any:
    """The JAX device for ``device``: "cpu", "cuda" (the first visible CUDA device;
    an error when there is none) or "auto" (CUDA when present, else CPU).

    JAX's CUDA plugin sees only the GPUs in ``CUDA_VISIBLE_DEVICES`` (what Ray and
    GPU work pools set for a task), so this picks the GPU the task was given."""
    import jax

    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"race model device: expected auto, cpu or cuda, got {device!r}")
    if device in ("auto", "cuda"):
        gpus = cuda_devices()
        if gpus:
            return gpus[0]
        if device == "cuda":
            raise RuntimeError("race model device 'cuda': JAX sees no CUDA device")
    return jax.devices("cpu")[0]


def cuda_devices() -> list[Any]:
    """CUDA devices JAX can use here (none without its CUDA plugin or a GPU)."""
    import jax

    try:
        return list(jax.devices("cuda"))
    except RuntimeError:  # no CUDA backend: plugin absent, or no visible GPU
        return []


def describe_device(device: Any) -> str:
    """ "cpu", or "cuda:<id> (<model>)" for a GPU: what a model card records."""
    if device.platform == "cpu":
        return "cpu"
    return f"cuda:{device.id} ({device.device_kind})"


@contextlib.contextmanager
def _x64() -> Iterator[None]:
    """float64 inside the block only: the rest of the process keeps JAX's default."""
    import jax

    enable = getattr(jax, "enable_x64", None)
    if enable is None:  # JAX before the context manager moved out of experimental
        from jax.experimental import enable_x64 as enable
    with enable(True):
        yield


@dataclass
class RaceRanker:
    """A feature transformer + per-race scores: the estimator of a ``race_ranking``
    model kind (:class:`forecast_keiba.models.fitting.RaceWinModel` holds one).

    ``prepare`` turns the feature frame into numbers (an unfitted sklearn-style
    transformer; fitted by :meth:`fit`); :meth:`race_scores` gives each runner's
    log-score, whose per-race softmax is the win probability.

    Inputs are clipped to the range each column had in training: linear scores
    extrapolate without limit, and a column that barely varied in training (the
    real February data's form figures over its first week) is then standardised
    into values of 100+ later, which made single runners near-certain winners."""

    prepare: Any
    objective: str = "plackett_luce"
    depth: int | None = None
    hidden: int = 0
    l2: float = 1e-3
    max_iter: int = 500
    tol: float = 1e-5
    seed: int = 0
    device: str = "auto"
    fitted: ScoreFit | None = field(default=None, repr=False)
    input_range: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        objective_depth(self.objective, self.depth)  # fail on an unknown objective now

    @property
    def device_name(self) -> str:
        """Where it was fitted, or (unfitted) where it would be."""
        if self.fitted is not None:
            return self.fitted.device
        return describe_device(resolve_device(self.device))

    def fit(self, features: Any, race_id: Any, finish_position: Any) -> RaceRanker:
        x = np.asarray(self.prepare.fit_transform(features), dtype=np.float64)
        self.input_range = (x.min(axis=0), x.max(axis=0)) if len(x) else None
        batch = pack_races(
            x,
            np.asarray(race_id),
            np.asarray(finish_position, dtype=np.float64),
            depth=objective_depth(self.objective, self.depth),
        )
        self.fitted = fit_scores(
            batch, hidden=self.hidden, l2=self.l2, max_iter=self.max_iter, tol=self.tol,
            seed=self.seed, device=self.device,
        )  # fmt: skip
        return self

    def race_scores(self, features: Any) -> np.ndarray:
        if self.fitted is None:
            raise RuntimeError("RaceRanker.race_scores before fit")
        x = np.asarray(self.prepare.transform(features), dtype=np.float64)
        if self.input_range is not None:
            x = np.clip(x, *self.input_range)
        return self.fitted.scores(x)


def race_softmax(scores: np.ndarray, race_id: np.ndarray) -> np.ndarray:
    """Per-race softmax of scores given per runner (numpy)."""
    scores = np.asarray(scores, dtype=np.float64)
    _, race = np.unique(np.asarray(race_id), return_inverse=True)
    top = np.full(race.max() + 1 if len(race) else 0, -np.inf)
    np.maximum.at(top, race, scores)
    weights = np.exp(scores - top[race])
    return weights / np.bincount(race, weights=weights)[race]
