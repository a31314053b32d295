"""The statistical baseline's model choice (app.services.baseline), on synthetic series: no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.services import baseline

ROOT = Path(__file__).resolve().parents[2]


def _seasonal(n: int, seed: int, *, level: float = 50.0, amplitude: float = 0.4, noise: float = 0.08,
              trend: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    shape = 1 + amplitude * np.sin(2 * np.pi * k / 12)
    return np.round(np.maximum(0, level * shape + trend * k + rng.normal(0, noise * level, n)))


def test_seasonal_naive_repeats_last_year() -> None:
    y = np.arange(1, 25, dtype=float)
    assert list(baseline.seasonal_naive(y, 14)) == list(range(13, 25)) + [13, 14]
    assert list(baseline.seasonal_naive(np.array([3.0, 7.0]), 2)) == [7.0, 7.0]


@pytest.mark.parametrize("seed", range(6))
def test_baseline_beats_or_matches_seasonal_naive_on_seasonal_series(seed: int) -> None:
    y = _seasonal(36, seed, trend=0.3 * (seed % 3))
    fit = baseline.fit_baseline(y, 12)
    assert fit.error is not None and fit.naive_error is not None
    assert fit.error <= fit.naive_error  # never worse than the benchmark on the holdout
    assert fit.errors[fit.method] == fit.error and fit.errors[baseline.NAIVE] == fit.naive_error
    assert len(fit.forecast) == 12 and min(fit.forecast) >= 0
    if fit.method == baseline.NAIVE:
        assert list(fit.forecast) == list(y[-12:])


def test_holt_winters_wins_on_a_clean_seasonal_series_and_forecasts_it() -> None:
    y = _seasonal(36, 1, noise=0.15)
    fit = baseline.fit_baseline(y, 12)
    assert fit.method.startswith("Holt-Winters") and fit.error < fit.naive_error
    truth = _seasonal(48, 1, noise=0.0)[36:]
    naive_future = np.abs(y[-12:] - truth).mean()
    assert np.abs(np.array(fit.forecast) - truth).mean() < naive_future  # better out of sample too


def test_holdout_backtest_errors_are_mean_absolute_errors() -> None:
    y = np.array([10.0] * 12 + [12.0] * 12)  # a level shift: last year's pattern is the benchmark
    fit = baseline.fit_baseline(y, 3)
    # seasonal naive on the first 18 months predicts months 19-24 from months 7-12: all 10 vs 12
    assert fit.naive_error == pytest.approx(2.0)
    assert fit.method != baseline.NAIVE and fit.error < 2.0
    assert fit.forecast[0] == pytest.approx(12.0, abs=0.5)


def test_intermittent_demand_uses_croston_sba() -> None:
    y = np.zeros(24)
    y[[1, 4, 7, 10, 13, 16, 19, 22]] = 6.0  # 6 every third month, starting in the second
    assert baseline.is_intermittent(y)
    assert baseline.candidates(y).keys() == {"Croston SBA"}
    # sizes 6, intervals 2,3,3,...: smoothed interval = 3 - 0.9**7 ~ 2.52 with a = 0.1
    intervals = np.array([2.0] + [3.0] * 7)
    level = intervals[0]
    for x in intervals:
        level += 0.1 * (x - level)
    expected = 0.95 * 6 / level
    assert baseline._sba(y, 3) == pytest.approx([expected] * 3)
    rng = np.random.default_rng(5)
    lumpy = np.where(rng.random(30) < 0.35, rng.integers(1, 9, 30), 0).astype(float)
    fit = baseline.fit_baseline(lumpy, 6)
    assert fit.method in ("Croston SBA", baseline.NAIVE) and fit.error <= fit.naive_error


def test_short_and_empty_histories() -> None:
    fit = baseline.fit_baseline([4, 6, 5], 2)
    assert (fit.method, fit.error, fit.forecast) == ("mean of history", None, (5.0, 5.0))
    assert baseline.fit_baseline([], 2).forecast == (0.0, 0.0)
    short = baseline.fit_baseline([20, 22, 21, 23, 22, 24, 23, 25, 24, 26], 2)  # 10 months: no season yet
    assert short.naive_error is not None and short.error <= short.naive_error
    assert not any(m.startswith("Holt-Winters") for m in baseline.candidates(np.arange(1.0, 20.0)))


def test_importing_the_services_does_not_load_statsmodels() -> None:
    code = ("import sys, app.services.baseline, app.services.planning, app.services.plans\n"
            "print(','.join(n for n in ('statsmodels', 'pandas', 'scipy') if n in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
