"""The result of a polytomous (or conditional) calibration: thresholds, SEs, curves, scores.

Parameterisations (mirt's IRT form, ``coef(fit, IRTpars = TRUE)``), θ on the reported scale:

- divide-by-total models (PCM, GPCM, RSM, and the Rasch model as their K = 1 case)::

      P(X = k | θ) = exp(sum_{v<=k} a (θ - b_v)) / sum_c exp(sum_{v<=c} a (θ - b_v))

  with the thresholds b_1..b_K (step difficulties: where categories k - 1 and k are equally
  likely). mirt's slope-intercept form a k θ + d_k has d_k = -a (b_1 + ... + b_k);
  ``intercepts`` gives those d_k. PCM and RSM fix a = 1 (the RSM's thresholds are
  b_jk = λ_j + τ_k with sum_k τ_k = 0).
- graded response model::

      P(X >= k | θ) = 1 / (1 + exp(-a (θ - b_k))),  b_1 < ... < b_K,

  mirt's d_k = -a b_k.

``location`` (b in the summary and the JSON) is the mean of an item's thresholds; for a
0/1 item it is the usual difficulty b = -d / a.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from edutools.errors import CalibrationError, DataError
from edutools.irt._estep import posterior_chunks
from edutools.irt._polydata import prepare_polytomous
from edutools.irt._polymodels import PolySpec, item_terms
from edutools.irt._quadrature import Quadrature, normal_grid

__all__ = ["PolyCalibration"]

ScoreMethod = Literal["eap", "map", "wle", "ml"]
_BOUND = 30.0


def intercepts_from_thresholds(
    family: str, a: np.ndarray, thresholds: Sequence[np.ndarray], kmax: int
) -> np.ndarray:
    """mirt's intercepts d_k (items × Kmax, zero-padded) from slopes and thresholds."""
    d = np.zeros((len(thresholds), kmax))
    for j, b in enumerate(thresholds):
        b = np.asarray(b, dtype=float)
        d[j, : b.size] = -a[j] * (np.cumsum(b) if family != "grm" else b)
    return d


@dataclass(frozen=True)
class PolyCalibration:
    """Calibrated polytomous items (see the module docstring for the formulas).

    ``sigma`` is the SD of θ in the calibration (estimated for the PCM and RSM by MML, as
    mirt's ``itemtype = "Rasch"``; 1 for the GPCM and GRM; NaN for CML, which assumes no
    distribution). ``cov`` is the covariance of the free parameters, labelled.
    """

    model: str
    method: str
    items: tuple[str, ...]
    n_cat: np.ndarray
    a: np.ndarray
    thresholds: tuple[np.ndarray, ...]
    se_a: np.ndarray
    se_thresholds: tuple[np.ndarray, ...]
    location: np.ndarray
    se_location: np.ndarray
    se_d: np.ndarray
    loglik: float
    n_params: int
    n_persons: int
    quadrature: Quadrature | None
    sigma: float = 1.0
    se_sigma: float = float("nan")
    cov: pd.DataFrame = field(default_factory=pd.DataFrame)
    converged: bool = True
    n_iter: int = 0
    excluded: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_parameters(
        cls,
        items: Sequence[str],
        model: str,
        a: Any,
        thresholds: Sequence[Sequence[float]],
        *,
        sigma: float = 1.0,
        quadrature: Quadrature | None = None,
    ) -> PolyCalibration:
        """A calibration from known parameters (for scoring, curves and tests); SEs are NaN.

        Example
        -------
        >>> cal = PolyCalibration.from_parameters(["Q1"], "gpcm", [1.2], [[-0.5, 0.5]])
        >>> cal.category_probabilities([0.0])[0].round(3).tolist()
        [[0.262, 0.477, 0.262]]
        """
        names = tuple(str(i) for i in items)
        av = np.broadcast_to(np.asarray(a, dtype=float), (len(names),)).copy()
        th = tuple(np.asarray(b, dtype=float).reshape(-1) for b in thresholds)
        if len(th) != len(names):
            raise DataError(f"{len(th)} threshold lists for {len(names)} items")
        if any(b.size == 0 for b in th):
            raise DataError("every item needs at least one threshold")
        nan = np.full(len(names), np.nan)
        q = quadrature or normal_grid(61)
        if sigma != 1.0 and quadrature is None:
            q = Quadrature(nodes=q.nodes * sigma, weights=q.weights)
        return cls(
            model=model,
            method="fixed",
            items=names,
            n_cat=np.array([b.size + 1 for b in th]),
            a=av,
            thresholds=th,
            se_a=nan,
            se_thresholds=tuple(np.full(b.size, np.nan) for b in th),
            location=np.array([b.mean() for b in th]),
            se_location=nan,
            se_d=nan,
            loglik=float("nan"),
            n_params=0,
            n_persons=0,
            quadrature=q,
            sigma=float(sigma),
        )

    # ------------------------------------------------------------------ basics
    @property
    def family(self) -> str:
        """ "grm" for the graded model, "divide-by-total" for the others."""
        return "grm" if self.model == "grm" else "divide-by-total"

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def aic(self) -> float:
        """-2 loglik + 2 k (the conditional log-likelihood under CML)."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """-2 loglik + k log N."""
        return -2.0 * self.loglik + self.n_params * float(np.log(max(self.n_persons, 1)))

    @property
    def intercepts(self) -> list[np.ndarray]:
        """mirt's slope-intercept d_k per item (see the module docstring)."""
        d = intercepts_from_thresholds(
            self.family, self.a, self.thresholds, int(self.n_cat.max()) - 1
        )
        return [d[j, : k - 1].copy() for j, k in enumerate(self.n_cat)]

    def _spec_phi(self) -> tuple[PolySpec, np.ndarray]:
        spec = PolySpec(
            "grm" if self.family == "grm" else "gpcm", tuple(int(k) for k in self.n_cat)
        )
        d = intercepts_from_thresholds(self.family, self.a, self.thresholds, spec.k_max)
        return spec, spec.contract(self.a, d)

    def _terms(self, theta: Any) -> tuple[PolySpec, np.ndarray, np.ndarray]:
        th = np.atleast_1d(np.asarray(theta, dtype=float))
        spec, phi = self._spec_phi()
        a, d = spec.expand(phi)
        logP, _, _ = item_terms(spec, a, d, th, first=False)
        return spec, th, logP

    # ------------------------------------------------------------------ curves
    def category_probabilities(self, theta: Any) -> list[np.ndarray]:
        """P(X_j = k | θ) per item: arrays of shape (len(theta), K_j + 1)."""
        _, _, logP = self._terms(theta)
        return [np.exp(logP[j, :k]).T for j, k in enumerate(self.n_cat)]

    def expected_scores(self, theta: Any) -> np.ndarray:
        """E[X_j | θ], shape (len(theta), n_items)."""
        probs = self.category_probabilities(theta)
        return np.column_stack([P @ np.arange(P.shape[1]) for P in probs])

    def item_information(self, theta: Any) -> np.ndarray:
        """Fisher information of each item at θ, shape (len(theta), n_items).

        Divide-by-total: I_j = a_j² Var(X_j | θ). Graded: I_j = sum_k (∂P_jk/∂θ)² / P_jk with
        ∂P_jk/∂θ = a_j (w_k - w_{k+1}), w_k = P*_k (1 - P*_k) (Samejima, 1969).
        """
        info, _ = self._information_terms(np.atleast_1d(np.asarray(theta, dtype=float)))
        return info.T

    def information(self, theta: Any) -> np.ndarray:
        """Test information (sum over items) at θ."""
        return self.item_information(theta).sum(axis=1)

    def _information_terms(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Item information (J, n) and the θ-derivative of log P_jk (J, categories, n)."""
        spec, _, logP = self._terms(th)
        P = np.exp(logP)
        a = self.a[:, None]
        if self.family != "grm":
            k = np.arange(spec.n_slots)[None, :, None]
            E = (P * k).sum(axis=1)
            var = (P * k**2).sum(axis=1) - E**2
            return a**2 * np.maximum(var, 0.0), a[:, :, None] * (k - E[:, None, :])
        d = intercepts_from_thresholds("grm", self.a, self.thresholds, spec.k_max)
        zs = self.a[:, None, None] * th[None, None, :] + d[:, :, None]
        inner = spec.valid[:, 1:, None]
        Ps = np.where(inner, 1.0 / (1.0 + np.exp(-zs)), 0.0)
        J, n = self.n_items, th.size
        Ps = np.concatenate([np.ones((J, 1, n)), Ps, np.zeros((J, 1, n))], axis=1)
        w = Ps * (1 - Ps)
        dP = a[:, :, None] * (w[:, :-1] - w[:, 1:])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(P > 0, dP / P, 0.0)
        return (dP * ratio).sum(axis=1), ratio

    # ------------------------------------------------------------------ scoring
    def score(self, data: Any, method: ScoreMethod = "eap") -> pd.DataFrame:
        """Ability estimates θ̂ and standard errors for every person in ``data``.

        - ``eap``: posterior mean over the quadrature (prior N(0, sigma²)), SE = posterior SD;
        - ``map``: posterior mode, SE = 1 / sqrt(I(θ̂) + 1 / sigma²);
        - ``wle``: Warm's (1989) weighted likelihood, the root of
          sum_j ∂ log P_j(x_j)/∂θ + I'(θ) / (2 I(θ)); finite for extreme scores too;
        - ``ml``: the likelihood maximum (±inf for the lowest and highest scores).

        SEs of ML and WLE are 1 / sqrt(I(θ̂)). A CML calibration has no θ distribution, so
        only ``wle`` and ``ml`` apply to it.

        Returns
        -------
        DataFrame indexed like ``data``, columns ``theta`` and ``se``.
        """
        from edutools.irt.scoring import align_responses

        if method not in ("eap", "map", "wle", "ml"):
            raise DataError(
                f"unknown scoring method {method!r}; expected 'eap', 'map', 'wle' or 'ml'"
            )
        if method in ("eap", "map") and self.quadrature is None:
            raise CalibrationError(
                f"a {self.method} calibration fixes no θ distribution, so {method.upper()} is "
                "undefined; use method='wle' (or 'ml')"
            )
        frame = align_responses(self, data)  # type: ignore[arg-type]
        n = len(frame)
        prior = method in ("eap", "map")
        theta = np.full(n, 0.0 if prior else np.nan)
        se = np.full(n, self.sigma if prior else np.nan)
        if not frame.notna().to_numpy().any():
            return pd.DataFrame({"theta": theta, "se": se}, index=frame.index)
        data_ = prepare_polytomous(frame, n_cat=self.n_cat, exclude_constant=False)
        spec, phi = self._spec_phi()
        quad = self.quadrature or normal_grid(61)
        from edutools.irt._polyfit import weights

        W, bias, _ = weights(data_, spec, phi, quad)
        eap = np.empty(data_.n_patterns)
        sd = np.empty(data_.n_patterns)
        for ch in posterior_chunks(data_.design, data_.counts, W, bias):
            m1 = ch.post @ quad.nodes
            eap[ch.start : ch.stop] = m1
            sd[ch.start : ch.stop] = np.sqrt(np.maximum(ch.post @ quad.nodes**2 - m1**2, 0.0))
        if method == "eap":
            t, s = eap, sd
        else:
            t, s = self._newton(data_.cats, np.clip(eap, -4, 4), method)
        idx = np.flatnonzero(data_.kept)
        theta[idx] = t[data_.inverse]
        se[idx] = s[data_.inverse]
        return pd.DataFrame({"theta": theta, "se": se}, index=frame.index)

    def _newton(
        self, cats: np.ndarray, start: np.ndarray, method: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """MAP, WLE or ML θ of each pattern by Fisher scoring (vectorised over patterns)."""
        th = start.astype(float).copy()
        obs = cats >= 0
        cx = np.where(obs, cats, 0).T  # items × patterns
        prec = 1.0 / self.sigma**2 if method == "map" else 0.0

        def parts(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            info, dlog = self._information_terms(t)
            score = np.where(obs.T, np.take_along_axis(dlog, cx[:, None, :], 1)[:, 0], 0.0)
            return score.sum(axis=0), (info * obs.T).sum(axis=0), info

        for _ in range(100):
            g, info, _ = parts(th)
            if method == "map":
                g = g - th * prec
            elif method == "wle":
                h = 1e-4
                up = (self._information_terms(th + h)[0] * obs.T).sum(axis=0)
                dn = (self._information_terms(th - h)[0] * obs.T).sum(axis=0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    g = g + np.where(info > 0, (up - dn) / (2 * h) / (2 * info), 0.0)
            step = np.clip(g / np.maximum(info + prec, 1e-8), -1.0, 1.0)
            th = np.clip(th + step, -_BOUND, _BOUND)
            if np.abs(step).max() < 1e-10:
                break
        _, info, _ = parts(th)
        with np.errstate(divide="ignore"):
            se = 1.0 / np.sqrt(info + prec)
        if method == "ml":
            # the likelihood rises without bound when every answer sits at the low (high) end
            # of its item, ends swapped for negative slopes
            K = (self.n_cat - 1)[None, :]
            pos = (self.a > 0)[None, :]
            low = np.where(obs, np.where(pos, cats == 0, cats == K), True).all(axis=1)
            high = np.where(obs, np.where(pos, cats == K, cats == 0), True).all(axis=1)
            th = np.where(low, -np.inf, np.where(high, np.inf, th))
            se = np.where(low | high, np.inf, se)
        return th, se

    # ------------------------------------------------------------------ tables
    def summary(self) -> pd.DataFrame:
        """One row per item: item, a, se_a, threshold_1.., se_threshold_1.., b (location), se_b.

        Items with fewer categories than the longest have NaN in the extra columns.
        """
        kmax = int(self.n_cat.max()) - 1
        out: dict[str, Any] = {"item": list(self.items), "a": self.a, "se_a": self.se_a}
        for v in range(kmax):
            out[f"threshold_{v + 1}"] = [b[v] if v < b.size else np.nan for b in self.thresholds]
        for v in range(kmax):
            out[f"se_threshold_{v + 1}"] = [
                s[v] if v < s.size else np.nan for s in self.se_thresholds
            ]
        out["b"] = self.location
        out["se_b"] = self.se_location
        return pd.DataFrame(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``edutools calibrate --json`` (NaN becomes None).

        Per item: a, b (the location), d = -a b, c (null), their SEs, and for polytomous
        models the ``thresholds`` and ``se_thresholds`` lists.
        """

        def num(x: float) -> float | None:
            return None if x is None or not np.isfinite(x) else float(x)

        polytomous = self.model != "rasch"
        rows = []
        for j, item in enumerate(self.items):
            row: dict[str, Any] = {
                "item": item,
                "a": num(self.a[j]),
                "b": num(self.location[j]),
                "d": num(-self.a[j] * self.location[j]),
                "c": None,
                "se_a": num(self.se_a[j]),
                "se_b": num(self.se_location[j]),
                "se_d": num(self.se_d[j]),
            }
            if polytomous:
                row["thresholds"] = [num(v) for v in self.thresholds[j]]
                row["se_thresholds"] = [num(v) for v in self.se_thresholds[j]]
            rows.append(row)
        return {
            "model": self.model,
            "n_persons": int(self.n_persons),
            "n_items": self.n_items,
            "loglik": float(self.loglik),
            "aic": float(self.aic),
            "bic": float(self.bic),
            "items": rows,
        }
