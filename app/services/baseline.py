"""The statistical baseline: a forecast per product and month from its demand history.

    compute_baselines(db, actor, today=..., state=task_state) -> BaselineResult   # read only, slow
    save_baselines(db, actor, result) -> int                                     # one unit of work
    fit_baseline(history, horizon) -> Fit                                        # pure, numpy in

Method, per product, chosen by backtest: the last ``HOLDOUT`` (6) months are held out, every
candidate is fitted on the months before and scored by mean absolute error (MAE) on the holdout;
the benchmark is the seasonal-naive forecast (the same month a year earlier; the last value when
the training part is shorter than a year). A candidate replaces the benchmark only when its MAE is
strictly lower; the chosen method is then refitted on the whole history. Candidates (statsmodels
exponential smoothing, a maintained and tested implementation):

- simple exponential smoothing, and Holt's damped trend, for every series of 12+ months;
- Holt-Winters (level + season) with additive seasonality, and with multiplicative seasonality
  when every month is > 0, when the history has 24+ months. Its initial state is the classical
  heuristic computed here (level = first year's mean, seasonal indices = first year minus / over
  that mean) and passed as ``known``: statsmodels' own initialisation needs two full years *inside
  the training part*, which a 24-month history minus the 6-month holdout does not have, and
  estimating the 13 initial values by optimisation is 5-20x slower with no better backtests on
  series this short. Only the smoothing parameters are optimised. A trend term is left to the
  damped-Holt candidate: with two or three years of history a seasonal model with its own trend
  (5x slower to fit) mostly extrapolates noise over a 12-month horizon.
- for intermittent demand (at least 30 % zero months, or a mean interval between demands above
  1.32 months - Syntetos & Boylan's cut-off), the Syntetos-Boylan approximation of Croston's
  method: statsmodels SimpleExpSmoothing on the non-zero sizes and on the intervals between them,
  forecast = (1 - a/2) x size / interval. The smoothing constant is fixed at a = 0.1 (the usual
  0.05-0.2 range): with a handful of demands per year an optimised constant just chases noise.
  Smoothing and Holt-Winters assume continuous demand and would forecast many small phantom
  values or negative ones, so they are not offered for intermittent series.

Forecasts are clipped at zero and rounded to 0.1. Statsmodels is imported lazily (start-up must not
pay for it) and its convergence warnings are silenced locally.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import select

from app import clock
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import PermissionDenied
from app.models import DemandHistory, Forecast, Product
from app.models.enums import ForecastStatus
from app.progress import TaskState
from app.services.permissions import allowed, require
from app.services.planning import add_months, horizon, month_start

SEASON = 12
HOLDOUT = 6
SBA_ALPHA = 0.1
NAIVE = "seasonal naive"


@dataclass(frozen=True)
class Fit:
    method: str
    error: float | None  # backtest MAE of the chosen method (None: history too short to test)
    naive_error: float | None  # backtest MAE of the seasonal-naive benchmark
    forecast: tuple[float, ...]
    errors: dict[str, float] = field(default_factory=dict)  # every candidate's backtest MAE


def seasonal_naive(y: np.ndarray, h: int) -> np.ndarray:
    if len(y) >= SEASON:
        last = y[-SEASON:]
        return np.array([last[k % SEASON] for k in range(h)], dtype=float)
    return np.full(h, float(y[-1]) if len(y) else 0.0)


def is_intermittent(y: np.ndarray) -> bool:
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) == 0:
        return True
    return bool((y <= 0).mean() >= 0.3 or len(y) / len(nonzero) > 1.32)


def _quiet(fn: Callable[[np.ndarray, int], np.ndarray]) -> Callable[[np.ndarray, int], np.ndarray]:
    """Fit without statsmodels' convergence and divide-by-zero (AIC of a perfect fit) warnings."""
    def run(y: np.ndarray, h: int) -> np.ndarray:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            return fn(y, h)
    run.__name__ = fn.__name__
    return run


@_quiet
def _ses(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing
    return SimpleExpSmoothing(y, initialization_method="known", initial_level=float(y[:3].mean())).fit().forecast(h)


@_quiet
def _holt(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import Holt
    trend = float(y[-3:].mean() - y[:3].mean()) / max(len(y) - 3, 1)
    return Holt(y, damped_trend=True, initialization_method="known", initial_level=float(y[:3].mean()),
                initial_trend=trend).fit().forecast(h)


def _holt_winters(y: np.ndarray, h: int, seasonal: str) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        return _hw(y, h, seasonal)


def _hw(y: np.ndarray, h: int, seasonal: str) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    first = y[:SEASON]
    level = float(first.mean())
    season = first - level if seasonal == "add" else first / level
    model = ExponentialSmoothing(y, trend=None, seasonal=seasonal, seasonal_periods=SEASON,
                                 initialization_method="known", initial_level=level, initial_seasonal=season)
    return model.fit().forecast(h)


@_quiet
def _sba(y: np.ndarray, h: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing
    idx = np.flatnonzero(y > 0)
    if len(idx) < 2:
        return np.full(h, float(y.mean()))
    sizes = y[idx].astype(float)
    intervals = np.diff(np.concatenate(([-1], idx))).astype(float)

    def smooth(x: np.ndarray) -> float:
        fit = SimpleExpSmoothing(x, initialization_method="known", initial_level=float(x[0]))
        return float(fit.fit(smoothing_level=SBA_ALPHA, optimized=False).forecast(1)[0])

    return np.full(h, (1 - SBA_ALPHA / 2) * smooth(sizes) / max(smooth(intervals), 1.0))


def candidates(y: np.ndarray) -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    """The methods worth trying on a history like ``y`` (see the module docstring)."""
    if is_intermittent(y):
        return {"Croston SBA": _sba}
    out: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {}
    if len(y) >= SEASON:
        out["exponential smoothing"] = _ses
        out["Holt damped trend"] = _holt
    if len(y) >= 2 * SEASON:
        out["Holt-Winters additive"] = lambda t, h: _holt_winters(t, h, "add")
        if (y > 0).all():
            out["Holt-Winters multiplicative"] = lambda t, h: _holt_winters(t, h, "mul")
    return out


def _safe(fn: Callable[[np.ndarray, int], np.ndarray], y: np.ndarray, h: int) -> np.ndarray | None:
    try:
        out = np.asarray(fn(y, h), dtype=float)
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError):
        return None
    return out if np.isfinite(out).all() else None


def fit_baseline(history: Sequence[float], h: int, *, holdout: int = HOLDOUT) -> Fit:
    """Choose a method for one monthly series by backtest and forecast ``h`` months after it."""
    y = np.asarray(history, dtype=float)
    if len(y) < holdout + 3:  # too short to test anything: the mean of what there is
        return Fit("mean of history", None, None, tuple(np.full(h, float(y.mean()) if len(y) else 0.0)))
    train, test = y[:-holdout], y[-holdout:]
    naive_error = float(np.abs(seasonal_naive(train, holdout) - test).mean())
    methods = candidates(y)
    errors: dict[str, float] = {NAIVE: naive_error}
    for name, fn in methods.items():
        if name.startswith("Holt-Winters") and len(train) < SEASON + 3:
            continue
        fc = _safe(fn, train, holdout)
        if fc is not None:
            errors[name] = float(np.abs(np.clip(fc, 0, None) - test).mean())
    best = min(errors, key=lambda k: (errors[k], k != NAIVE))
    forecast = None
    if best != NAIVE and errors[best] < naive_error - 1e-9:
        forecast = _safe(methods[best], y, h)
    if forecast is None:
        best, forecast = NAIVE, seasonal_naive(y, h)
    return Fit(best, errors[best], naive_error, tuple(float(v) for v in np.clip(forecast, 0, None)), errors)


@dataclass(frozen=True)
class ProductBaseline:
    product_id: int
    sku: str
    method: str
    history_months: int
    backtest_error: float | None  # MAE on the holdout months
    naive_error: float | None  # the seasonal-naive benchmark's MAE
    forecast: tuple[tuple[dt.date, Decimal], ...]


@dataclass(frozen=True)
class BaselineResult:
    today: dt.date
    periods: tuple[dt.date, ...]
    products: tuple[ProductBaseline, ...]
    skipped: tuple[tuple[int, str, str], ...]  # (product id, sku, reason)
    seconds: float


def _round(v: float) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def compute_baselines(db: Database, actor: Actor, *, periods: int = 12, state: TaskState | None = None,
                      product_ids: Sequence[int] | None = None) -> BaselineResult:
    """Baselines for the board's months, from the full months of history before today's month.
    ``state.progress`` is called once per product and may raise to cancel."""
    today = clock.today()
    require(actor, "planning.view")
    started = time.perf_counter()
    months = horizon(today, periods)
    end = month_start(today)  # history: full months only
    skip_current = 1  # the history ends the month before today's; the board starts the month after
    with db.read() as s:
        q = select(Product.id, Product.sku).where(Product.active.is_(True)).order_by(Product.sku)
        hq = select(DemandHistory.product_id, DemandHistory.period_start, DemandHistory.quantity).where(
            DemandHistory.period_start < end)
        if product_ids is not None:
            q = q.where(Product.id.in_(list(product_ids)))
            hq = hq.where(DemandHistory.product_id.in_(list(product_ids)))
        products = s.execute(q).all()
        history: dict[int, dict[dt.date, float]] = defaultdict(dict)
        for pid, period, qty in s.execute(hq):
            history[pid][month_start(period)] = float(qty)
    out: list[ProductBaseline] = []
    skipped: list[tuple[int, str, str]] = []
    for i, (pid, sku) in enumerate(products):
        if state is not None:
            state.progress(i / max(len(products), 1), sku)
        series = history.get(pid)
        if not series:
            skipped.append((pid, sku, "no demand history"))
            continue
        first = min(series)
        n = (end.year - first.year) * 12 + end.month - first.month
        y = [series.get(add_months(first, k), 0.0) for k in range(n)]
        fit = fit_baseline(y, periods + skip_current)
        fc = tuple((m, _round(v)) for m, v in zip(months, fit.forecast[skip_current:]))
        out.append(ProductBaseline(pid, sku, fit.method, n, fit.error, fit.naive_error, fc))
    if state is not None:
        state.progress(1.0, "")
    return BaselineResult(today, tuple(months), tuple(out), tuple(skipped), time.perf_counter() - started)


SHORT = {"Holt-Winters additive": "HW add", "Holt-Winters multiplicative": "HW mult",
         "exponential smoothing": "SES", "Holt damped trend": "Holt damped", "Croston SBA": "Croston SBA",
         NAIVE: "seasonal naive"}


def method_label(p: ProductBaseline) -> str:
    """What the board shows for a product's baseline: the method and its backtest error next to
    the seasonal-naive benchmark's (mean absolute error over the hold-out months), ≤ 40 chars."""
    name = SHORT.get(p.method, p.method)
    if p.backtest_error is None or p.naive_error is None:
        return name[:40]
    return f"{name} · MAE {p.backtest_error:.1f} / naive {p.naive_error:.1f}"[:40]


def save_baselines(db: Database, actor: Actor, result: BaselineResult) -> int:
    """Write baseline_qty and baseline_method for every product and month in one unit of work
    (creating forecast rows that do not exist yet). The baseline is nobody's figure, so saving it
    neither reopens nor needs a sign-off. Marketing, production and management may save."""
    if not any(allowed(actor.role, a) for a in ("planning.consensus", "planning.settings")):
        raise PermissionDenied(f"Your role ({actor.role}) may not save statistical baselines.",
                               hint="Allowed roles: management, marketing, production.")

    def run(uow: UnitOfWork) -> int:
        pids = [p.product_id for p in result.products]
        existing: dict[tuple[int, dt.date], Any] = {}
        if pids and result.periods:
            existing = {(f.product_id, f.period_start): f for f in uow.session.scalars(select(Forecast).where(
                Forecast.granularity == "month", Forecast.product_id.in_(pids),
                Forecast.period_start >= result.periods[0], Forecast.period_start <= result.periods[-1]))}
        changed = 0
        for p in result.products:
            for period, qty in p.forecast:
                f = existing.get((p.product_id, period))
                if f is None:
                    f = uow.add(Forecast(product_id=p.product_id, period_start=period, granularity="month",
                                         status=ForecastStatus.OPEN))
                label = method_label(p)
                if f.baseline_qty is None or Decimal(f.baseline_qty) != qty or f.baseline_method != label:
                    f.baseline_qty, f.baseline_method = qty, label
                    changed += 1
        return changed

    return db.write(actor, run)
