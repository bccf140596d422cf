"""The M-step of the polytomous models, and the complete-data derivatives it and the fit use.

The M-step maximises the expected complete-data log-likelihood sum_{k,q} r_jkq log P_jk(z_q)
by Newton's method, solving the arrow-shaped system (item blocks plus common parameters)
through its Schur complement. It is concave for every model here (a multinomial logit in
the divide-by-total family; Pratt, 1981, for the graded model), so Newton steps with
halving converge.
"""

from __future__ import annotations

import numpy as np

from edutools.irt._polymodels import PolySpec, item_terms

__all__ = ["complete_derivatives", "mstep", "objective"]

_MAX_STEP = 1.0
_NEWTON_TOL = 1e-10
_NEWTON_ITER = 50


def complete_derivatives(
    spec: PolySpec, phi: np.ndarray, R: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-item objective, gradient (J, slots) and Hessian (J, slots, slots) of the expected
    complete-data log-likelihood given expected counts R (J × categories × Q)."""
    a, d = spec.expand(phi)
    logP, D, H2 = item_terms(spec, a, d, nodes, second=True)
    assert H2 is not None
    with np.errstate(invalid="ignore"):
        f = np.where(R > 0, R * logP, 0.0).sum(axis=(1, 2))
    g = np.einsum("jkq,jksq->js", R, D)
    if spec.divide_by_total:
        H = np.einsum("jq,jstq->jst", R.sum(axis=1), H2[:, 0])
    else:
        H = np.einsum("jkq,jkstq->jst", R, H2)
    return f, g, H


def objective(spec: PolySpec, phi: np.ndarray, R: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Per-item expected complete-data log-likelihood sum_{k,q} r_jkq log P_jk(z_q)."""
    a, d = spec.expand(phi)
    logP, _, _ = item_terms(spec, a, d, nodes, first=False)
    with np.errstate(invalid="ignore"):
        f = np.where(R > 0, R * logP, 0.0).sum(axis=(1, 2))
    return np.where(_items_ordered(spec, phi), f, -np.inf)


def _newton_step(spec: PolySpec, g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Solve (-H) step = g in phi, H and g given per item in slots (arrow structure)."""
    C, B = spec.maps
    own_ok = spec.own_index >= 0
    A = -H
    width = B.shape[2]
    Aoo = np.einsum("jso,jst,jtp->jop", B, A, B)
    Aoo[~own_ok] = 0.0
    Aoo[:, np.arange(width), np.arange(width)] += np.where(own_ok, 1e-10, 1.0)
    go = np.einsum("jso,js->jo", B, g) * own_ok
    inv_go = np.linalg.solve(Aoo, go[:, :, None])[:, :, 0]
    step = np.zeros(spec.n_params)
    if spec.n_common:
        Aoc = np.einsum("jso,jst,jtc->joc", B, A, C) * own_ok[:, :, None]
        Acc = np.einsum("jsc,jst,jte->ce", C, A, C)
        gc = np.einsum("jsc,js->c", C, g)
        inv_oc = np.linalg.solve(Aoo, Aoc)
        schur = Acc - np.einsum("joc,joe->ce", Aoc, inv_oc) + 1e-10 * np.eye(spec.n_common)
        dc = np.linalg.solve(schur, gc - np.einsum("joc,jo->c", Aoc, inv_go))
        inv_go = inv_go - np.einsum("joc,c->jo", inv_oc, dc)
        step[: spec.n_common] = dc
    step[spec.own_index[own_ok]] = inv_go[own_ok]
    return step


def mstep(spec: PolySpec, phi: np.ndarray, R: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Newton's method on the expected complete-data log-likelihood (see module docstring).

    Without common parameters the items are independent: each keeps the largest of the
    halved steps that raises its own objective. With common ones the whole step halves.
    """
    phi = phi.copy()
    per_item = spec.n_common == 0
    own_ok = spec.own_index >= 0
    item_of = np.zeros(spec.n_params, dtype=int)
    item_of[spec.own_index[own_ok]] = np.nonzero(own_ok)[0]
    for _ in range(_NEWTON_ITER):
        f, g, H = complete_derivatives(spec, phi, R, nodes)
        try:
            step = _newton_step(spec, g, H)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        if per_item:
            big = np.zeros(spec.n_items)
            np.maximum.at(big, item_of, np.abs(step))
            step *= np.minimum(1.0, _MAX_STEP / np.maximum(big, 1e-300))[item_of]
            scale = np.ones(spec.n_items)
            todo = np.ones(spec.n_items, dtype=bool)
            new = phi.copy()
            for _half in range(30):
                trial = phi + scale[item_of] * step
                ok = todo & (objective(spec, trial, R, nodes) >= f - 1e-12 * np.abs(f))
                new = np.where(ok[item_of], trial, new)
                todo &= ~ok
                if not todo.any():
                    break
                scale = np.where(todo, scale / 2, scale)
            phi = new
            if float((np.abs(step) * scale[item_of]).max()) < _NEWTON_TOL or todo.all():
                break
        else:
            largest = float(np.abs(step).max())
            if largest > _MAX_STEP:
                step *= _MAX_STEP / largest
            total = f.sum()
            for _half in range(30):
                trial = phi + step
                if objective(spec, trial, R, nodes).sum() >= total - 1e-12 * abs(total):
                    break
                step /= 2
            else:
                break
            phi = trial
            if float(np.abs(step).max()) < _NEWTON_TOL:
                break
    return phi


def _items_ordered(spec: PolySpec, phi: np.ndarray) -> np.ndarray:
    """Per item: finite parameters and, for the GRM, decreasing intercepts."""
    a, d = spec.expand(phi)
    ok = np.isfinite(a) & np.all(np.isfinite(d), axis=1)
    if spec.name == "grm":
        gaps = np.where(spec.valid[:, 2:], d[:, :-1] - d[:, 1:], 1.0)
        ok &= np.all(gaps > 0, axis=1)
    return ok
