"""Independent reference values for grasplab's evidence statistics (lib/eval/), computed with SciPy and statsmodels.

Run with Debian's Python, which has python3-scipy and python3-statsmodels:

    /usr/bin/python3 scripts/stats_reference.py

(or any Python with `pip install scipy statsmodels`) and paste the printed constants into test/eval/evidence_stats.test.ts (they are there with this command beside them).
The paired verdicts of the bootstrap cases come from the same integer formula as in the test (`verdicts()` below).
"""
import json

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint


def verdicts(n, salt, percent):
    """Image i is correct iff (i * 7919 + salt * 104729) % 1000 < 10 * percent: a fixed, seed-free pattern."""
    return np.array([(i * 7919 + salt * 104729) % 1000 < 10 * percent for i in range(n)], dtype=bool)


def wilson_cases():
    out = []
    for correct, total in [(0, 10), (3, 10), (10, 10), (37, 40), (412, 1000), (1, 1), (500, 1000)]:
        lo, hi = proportion_confint(correct, total, alpha=0.05, method="wilson")
        out.append({"correct": correct, "total": total, "lo": lo, "hi": hi})
    return out


def mcnemar_cases():
    out = []
    # (both right, baseline only, treatment only, both wrong)
    for a, b, c, d in [(10, 3, 9, 8), (50, 10, 10, 30), (20, 0, 7, 3), (400, 40, 62, 498), (1000, 120, 180, 1700), (100, 5, 200, 0), (5, 0, 0, 5)]:
        res = mcnemar([[a, b], [c, d]], exact=True)
        out.append({"baselineOnly": b, "treatmentOnly": c, "p": float(res.pvalue)})
    return out


def t_cases():
    out = []
    for values in [[41.2, 47.9, 44.0], [1.0, 2.0], [3.5, -1.2, 0.4, 2.2, 1.1]]:
        v = np.array(values)
        lo, hi = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
        out.append({"values": values, "mean": float(v.mean()), "std": float(v.std(ddof=1)), "lo": float(lo), "hi": float(hi)})
    return out


def slope_cases():
    """Least-squares slope and its t-interval (linregress's stderr, t with n - 2 degrees of freedom)."""
    out = []
    for x, y in [([1, 2, 3, 4, 5], [2.0, 4.1, 5.9, 8.2, 9.9]), ([4.0, 4.8, 5.6, 6.4, 7.2, 8.0], [55.5, 61.0, 57.0, 64.5, 60.5, 66.0]),
                 ([0, 1, 2], [3.0, 1.0, 2.5]), ([10, 20, 30, 40], [7.0, 7.5, 6.5, 7.0])]:
        r = stats.linregress(x, y)
        half = stats.t.ppf(0.975, len(x) - 2) * r.stderr
        out.append({"x": x, "y": y, "slope": float(r.slope), "intercept": float(r.intercept), "lo": float(r.slope - half), "hi": float(r.slope + half)})
    return out


def bootstrap_single():
    base = verdicts(500, 1, 55)
    treat = verdicts(500, 2, 62)
    d = treat.astype(float) - base.astype(float)
    res = stats.bootstrap((d,), np.mean, method="percentile", n_resamples=200_000, confidence_level=0.95, random_state=0)
    return {"n": 500, "baseline": [1, 55], "treatment": [2, 62], "delta": float(d.mean()),
            "lo": float(res.confidence_interval.low), "hi": float(res.confidence_interval.high)}


def bootstrap_stratified():
    """Three seeds of 300 images: resample images within each seed, pool the seeds (numpy, 200,000 replicates)."""
    rng = np.random.default_rng(0)
    groups = []
    for s in range(3):
        base = verdicts(300, 10 + s, 50)
        treat = verdicts(300, 20 + s, 45 + 3 * s)
        groups.append(treat.astype(float) - base.astype(float))
    reps = np.zeros(200_000)
    total = sum(len(g) for g in groups)
    for g in groups:
        idx = rng.integers(0, len(g), size=(200_000, len(g)))
        reps += g[idx].sum(axis=1)
    reps /= total
    return {"n": 300, "seeds": 3, "delta": float(np.concatenate(groups).mean()),
            "lo": float(np.percentile(reps, 2.5)), "hi": float(np.percentile(reps, 97.5))}


print(json.dumps({
    "normal_0975": float(stats.norm.ppf(0.975)),
    "t_0975_df2": float(stats.t.ppf(0.975, 2)),
    "t_0975_df4": float(stats.t.ppf(0.975, 4)),
    "binom_cdf_7_30_half": float(stats.binom.cdf(7, 30, 0.5)),
    "binom_cdf_480_1000_half": float(stats.binom.cdf(480, 1000, 0.5)),
    "wilson": wilson_cases(),
    "mcnemar": mcnemar_cases(),
    "t_interval": t_cases(),
    "slope": slope_cases(),
    "bootstrap_single": bootstrap_single(),
    "bootstrap_stratified": bootstrap_stratified(),
}, indent=1))
