"""IRT calibration speed and accuracy: edutools against girth, the PyPI mirt, py-irt, psychotools and eRm.

Two suites. ``--suite 2pl`` (the default, described first) fits the 2PL. ``--suite
polytomous`` times the 3PL at 20000 × 50, the GPCM at 20000 × 50 with 4 categories, and
the Rasch model by conditional ML at 5000 × 80, next to R's psychotools and eRm in the same
run (see "Polytomous suite" below).

Every library fits the same seeded matrices (a ~ LogNormal(0, 0.25), b ~ N(0, 1),
θ ~ N(0, 1)) in its own subprocess, so that the peak memory (the child's ru_maxrss, which
includes the interpreter, the imports and the response matrix) belongs to one fit. The
wall time covers the fit call only, after one small warm-up fit (imports, thread pools). RMSE(a) and RMSE(b) are against the generating values.

    python benchmarks/bench_irt.py                       # all sizes, all peers
    python benchmarks/bench_irt.py --sizes 5000x50 --peers edutools,mirt61

Peers (needs ``pip install -e '.[bench,bayes]'``):

- girth 0.8 ``twopl_mml``: its defaults, 41 nodes on [-4.5, 4.5], at most 25 iterations,
  no standard errors, no missing data.
- mirt (PyPI, not R's mirt) ``fit_mirt(model="2PL")`` at 61 nodes and at its default 21,
  standard errors by its default method.
- py-irt 0.7.1: stochastic variational inference. Its built-in priors are tight
  (b ~ N(0, 0.1²)) and its Python API ignores the seed, so it runs through
  ``edutools.irt.bayes.BayesIRT``, which trains with py-irt's own trainer a 2PL with explicit
  priors (b ~ N(0, 2²), a ~ LogNormal(0, 0.5²)) after seeding pyro.
- edutools ``TwoPL()``: defaults (61 nodes, tol 1e-6, standard errors from the observed
  information).

``--threads 1`` caps every library at one thread (BLAS, OpenMP, rayon, torch): on a shared
machine multithreaded BLAS can stall behind other processes, and the cap keeps the
comparison fair. A peer that fails is reported with its error and the run goes on. 1,000,000 × 200 with
30 % missing runs edutools alone unless ``--large-peers`` is given.

Polytomous suite (``--suite polytomous [--cases ...]``), each fit in its own subprocess,
timed around the fit call only (R: ``proc.time()`` around the fitting function, after the
data are read):

- ``3pl-20000x50``: edutools ``ThreePL()`` (a ~ LogNormal(0.2, 0.2), c ~ U(0.1, 0.3));
  no peer here fits it (girth's 3PL crashes under NumPy 2; R's mirt is not in Debian).
- ``gpcm-20000x50x4``: edutools ``GPCM()`` by MML. psychotools' ``gpcmodel`` needs R's
  mirt, which Debian lacks, so the peers are the conditional-ML partial credit fits of the
  same data: edutools ``PCMCML()``, psychotools ``pcmodel`` and eRm ``PCM`` (their
  log-likelihoods must agree with each other; the PCM is not the generating model).
- ``rasch-cml-5000x80``: the Rasch model by CML: edutools ``RaschCML()``, psychotools
  ``raschmodel`` and eRm ``RM``; ``-10%missing`` deletes 10 % of the responses at random,
  as real tests have gaps, so that nearly every person answered a different set of items.

R peers need ``Rscript`` with psychotools, eRm and jsonlite (Debian packages). ``--peers``
names a subset (e.g. ``--peers edutools-rasch-cml``); by default every peer of a case runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = {
    "5000x50": (5_000, 50, 0.0),
    "20000x100": (20_000, 100, 0.0),
    "1000000x200-30%missing": (1_000_000, 200, 0.3),
}
PEERS = ("edutools", "girth", "mirt61", "mirt21", "pyirt")
SEED = 20240611


# --------------------------------------------------------------------------- worker side


def _fit_edutools(X: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    from edutools.irt import TwoPL

    m = TwoPL().fit(X)
    return m.a_.to_numpy(), m.b_.to_numpy()


def _fit_girth(X: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    import girth

    if np.isnan(X).any():
        raise RuntimeError("girth's twopl_mml takes no missing responses")
    out = girth.twopl_mml(X.T.astype(int))
    return np.asarray(out["Discrimination"]), np.asarray(out["Difficulty"])


def _fit_mirt(
    X: np.ndarray, args: argparse.Namespace, n_quadpts: int | None
) -> tuple[np.ndarray, np.ndarray]:
    import mirt

    kwargs = {} if n_quadpts is None else {"n_quadpts": n_quadpts}
    result = mirt.fit_mirt(X, model="2PL", **kwargs)
    return np.asarray(result.model.discrimination).reshape(-1), np.asarray(
        result.model.difficulty
    ).reshape(-1)


def _fit_pyirt(X: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    from edutools.irt.bayes import BayesIRT

    m = BayesIRT("2pl", epochs=args.pyirt_epochs, seed=SEED).fit(X)
    return m.a_.to_numpy(), m.b_.to_numpy()


def worker(args: argparse.Namespace) -> None:
    """Fit one library to one matrix; print a JSON line with the estimates and the time."""
    X = np.load(args.data)
    loaded_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fits = {
        "edutools": _fit_edutools,
        "girth": _fit_girth,
        "mirt61": lambda X, a: _fit_mirt(X, a, 61),
        "mirt21": lambda X, a: _fit_mirt(X, a, None),
        "pyirt": _fit_pyirt,
    }
    # one small fit first, so that imports, thread pools and caches are warm for every library
    rng = np.random.default_rng(0)
    warm = (rng.random((300, 6)) < 1 / (1 + np.exp(-rng.normal(size=(300, 1))))).astype(X.dtype)
    warm_args = argparse.Namespace(**{**vars(args), "pyirt_epochs": 5})
    with contextlib.suppress(Exception):  # the timed fit reports any failure
        fits[args.worker](warm, warm_args)
    start = time.perf_counter()
    try:
        a, b = fits[args.worker](X, args)
    except Exception as exc:  # a peer's failure is a result, not a crash of the benchmark
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}))
        return
    seconds = time.perf_counter() - start
    print(
        json.dumps({"seconds": seconds, "a": a.tolist(), "b": b.tolist(), "loaded_kb": loaded_kb})
    )


# --------------------------------------------------------------------------- parent side


def _simulate(n: int, J: int, missing: float, folder: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    from edutools.irt import simulate_items, simulate_responses

    items = simulate_items(J, "2pl", seed=SEED)
    kind = "mcar" if missing else "none"
    sim = simulate_responses(
        items,
        n,
        seed=SEED + 1,
        missing=kind,
        missing_rate=missing,
        dtype=np.float32 if n > 100_000 else np.float64,
    )
    path = folder / f"X_{n}x{J}.npy"
    np.save(path, sim.responses.to_numpy())
    return path, items["a"].to_numpy(), items["b"].to_numpy()


def _run(lib: str, data: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        lib,
        "--data",
        str(data),
        "--pyirt-epochs",
        str(args.pyirt_epochs),
    ]
    start = time.perf_counter()
    env = dict(os.environ)
    if args.threads:
        for var in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "RAYON_NUM_THREADS",
            "TORCH_NUM_THREADS",
        ):
            env[var] = str(args.threads)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    usage = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > args.timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"error": f"timeout after {args.timeout:.0f} s"}
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit status {os.waitstatus_to_exitcode(status)}: {tail[:200]}"}
    result = json.loads(lines[-1])
    result["peak_gib"] = usage.ru_maxrss / 2**20
    if "loaded_kb" in result:
        result["fit_gib"] = (usage.ru_maxrss - result["loaded_kb"]) / 2**20
    return result


def _rmse(est: list[float], true: np.ndarray) -> float:
    e = np.asarray(est, dtype=float)
    if e.shape != true.shape:
        return float("nan")
    return float(np.sqrt(np.mean((e - true) ** 2)))


# --------------------------------------------------------------------------- polytomous suite

POLY_CASES = {
    "3pl-20000x50": ("3pl", 20_000, 50),
    "gpcm-20000x50x4": ("gpcm", 20_000, 50),
    "rasch-cml-5000x80": ("rasch", 5_000, 80),
    "rasch-cml-5000x80-10%missing": ("rasch-mcar", 5_000, 80),
}
POLY_PEERS = {
    "3pl-20000x50": ("edutools-3pl",),
    "gpcm-20000x50x4": ("edutools-gpcm", "edutools-pcm-cml", "psychotools-pcmodel", "erm-pcm"),
    "rasch-cml-5000x80": ("edutools-rasch-cml", "psychotools-raschmodel", "erm-rm"),
    "rasch-cml-5000x80-10%missing": (
        "edutools-rasch-cml",
        "psychotools-raschmodel",
        "erm-rm",
    ),
}
R_FITS = {
    "psychotools-pcmodel": (
        "psychotools",
        "m <- pcmodel(X)",
        "list(loglik = as.numeric(logLik(m)), b = as.numeric(unlist(threshpar(m))))",
    ),
    "erm-pcm": (
        "eRm",
        "m <- PCM(X, se = TRUE)",
        "list(loglik = m$loglik, b = {t <- thresholds(m)$threshpar; as.numeric(t - mean(t))})",
    ),
    "psychotools-raschmodel": (
        "psychotools",
        "m <- raschmodel(X)",
        "list(loglik = as.numeric(logLik(m)), b = as.numeric(itempar(m)))",
    ),
    "erm-rm": (
        "eRm",
        "m <- RM(X, se = TRUE)",
        "list(loglik = m$loglik, b = -as.numeric(m$betapar))",
    ),
}


def _poly_simulate(case: str, folder: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """The seeded data of a case as .npy and .csv, and the true parameters."""
    from edutools.irt import (
        simulate_items,
        simulate_poly_items,
        simulate_polytomous,
        simulate_responses,
    )

    kind, n, J = POLY_CASES[case]
    if kind == "gpcm":
        items = simulate_poly_items(J, "gpcm", n_categories=4, seed=SEED)
        X, _ = simulate_polytomous(items, n, "gpcm", seed=SEED + 1)
        truth = {"a": items["a"].to_numpy(), "b": np.concatenate(items["thresholds"].to_numpy())}
    else:
        model = "rasch" if kind == "rasch-mcar" else kind
        items = simulate_items(J, model, seed=SEED, a_mean=0.2, a_sd=0.2, c_range=(0.1, 0.3))
        missing = "mcar" if kind == "rasch-mcar" else "none"
        X = simulate_responses(items, n, seed=SEED + 1, missing=missing, missing_rate=0.1).responses
        truth = {"a": items["a"].to_numpy(), "b": items["b"].to_numpy(), "c": items["c"].to_numpy()}
    path = folder / f"{case.replace('%', 'pct')}.npy"
    np.save(path, X.to_numpy())
    X.to_csv(path.with_suffix(".csv"), index=False, na_rep="NA")
    return path, truth


def poly_worker(args: argparse.Namespace) -> None:
    """Fit one edutools estimator of the polytomous suite; print a JSON line."""
    from edutools.irt import GPCM, PCMCML, RaschCML, ThreePL

    X = np.load(args.data)
    make = {
        "edutools-3pl": ThreePL,
        "edutools-gpcm": GPCM,
        "edutools-pcm-cml": PCMCML,
        "edutools-rasch-cml": RaschCML,
    }[args.worker]
    with contextlib.suppress(Exception):  # warm-up: imports, thread pools
        make().fit(X[:300, :6])
    start = time.perf_counter()
    m = make().fit(X)
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "loglik": float(m.loglik_), "method": m.notes_[-1]}
    if args.worker == "edutools-3pl":
        out |= {"a": m.a_.tolist(), "b": m.b_.tolist(), "c": m.c_.tolist()}
    elif args.worker == "edutools-gpcm":
        out |= {"a": m.a_.tolist(), "b": np.concatenate(m.thresholds_).tolist()}
    else:
        out["b"] = np.concatenate(m.thresholds_).tolist()
    print(json.dumps(out))


def _poly_run_r(peer: str, csv: Path, timeout: float) -> dict:  # type: ignore[type-arg]
    package, fit, result = R_FITS[peer]
    code = (
        f"suppressPackageStartupMessages({{library({package}); library(jsonlite)}}); "
        f"X <- as.matrix(read.csv('{csv}')); t0 <- proc.time()[['elapsed']]; {fit}; "
        "el <- proc.time()[['elapsed']] - t0; "
        f"cat(toJSON(c(list(seconds = el), {result}), digits = NA, auto_unbox = TRUE))"
    )
    try:
        done = subprocess.run(
            ["Rscript", "-e", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    except FileNotFoundError:
        return {"error": "Rscript not found"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:200]}
    return json.loads(line)


def _poly_run_python(peer: str, data: Path, args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, __file__, "--suite", "polytomous", "--worker", peer, "--data", str(data)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {args.timeout:.0f} s"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:200]}
    return json.loads(line)


def poly_main(args: argparse.Namespace) -> None:
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in POLY_CASES:
            raise SystemExit(f"unknown case {c!r}; choose from {', '.join(POLY_CASES)}")
    print(
        f"# edutools polytomous/CML benchmark, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            data, truth = _poly_simulate(case, Path(tmp))
            results: dict[str, dict] = {}  # type: ignore[type-arg]
            wanted = [p for p in POLY_PEERS[case] if p in args.peers.split(",")]
            for peer in wanted or POLY_PEERS[case]:
                if peer.startswith("edutools"):
                    r = _poly_run_python(peer, data, args)
                else:
                    r = _poly_run_r(peer, data.with_suffix(".csv"), args.timeout)
                results[peer] = r
                status = r.get("error") or f"{r['seconds']:.3f} s"
                print(f"  {case:20s} {peer:24s} {status}", flush=True)
            ref = results[POLY_PEERS[case][-1 if case == "3pl-20000x50" else 0]]
            cml_ref = next((v for k, v in results.items() if k.endswith("cml")), None)
            for peer, r in results.items():
                row = {"case": case, "library": peer, **r}
                if "error" not in r:
                    if peer in ("edutools-3pl", "edutools-gpcm"):
                        row["rmse_a"] = float(
                            np.sqrt(np.mean((np.asarray(r["a"]) - truth["a"]) ** 2))
                        )
                        row["rmse_b"] = float(
                            np.sqrt(np.mean((np.asarray(r["b"]) - truth["b"]) ** 2))
                        )
                    elif cml_ref is not None and "error" not in cml_ref:
                        b, b0 = np.asarray(r["b"]), np.asarray(cml_ref["b"])
                        if b.shape == b0.shape:
                            row["max_b_diff"] = float(
                                np.abs((b - b.mean()) - (b0 - b0.mean())).max()
                            )
                            row["loglik_diff"] = float(r["loglik"] - cml_ref["loglik"])
                    if cml_ref is not None and "error" not in cml_ref and peer != "edutools-gpcm":
                        row["ratio"] = r["seconds"] / cml_ref["seconds"]
                    elif ref is r:
                        row["ratio"] = 1.0
                rows.append(row)
    print(
        f"\nload average {os.getloadavg()[0]:.2f} at the end (a shared machine: compare ratios)\n"
    )
    print(
        "| case | library | wall s | loglik | RMSE(a) | RMSE(b) | max abs b diff vs edutools CML | time / edutools CML |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.get("error"):
            print(f"| {r['case']} | {r['library']} | {r['error']} | | | | | |")
            continue

        def f(key: str, fmt: str = ".4f", r: dict = r) -> str:  # type: ignore[type-arg]
            return "" if r.get(key) is None else format(r[key], fmt)

        print(
            f"| {r['case']} | {r['library']} | {r['seconds']:.3f} | {r['loglik']:.3f} | "
            f"{f('rmse_a')} | {f('rmse_b')} | {f('max_b_diff', '.2e')} | {f('ratio', '.1f')} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(SIZES),
        help="comma-separated: " + ", ".join(SIZES).replace("%", "%%"),
    )
    parser.add_argument(
        "--peers", default=",".join(PEERS), help="comma-separated: " + ", ".join(PEERS)
    )
    parser.add_argument("--pyirt-epochs", type=int, default=1500, help="SVI epochs of py-irt")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per fit")
    parser.add_argument(
        "--large-peers", action="store_true", help="run the peers on 1,000,000 × 200 too"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="thread cap for every library (BLAS, OpenMP, rayon); 0 = their defaults",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--suite", choices=("2pl", "polytomous"), default="2pl", help="which benchmark"
    )
    parser.add_argument(
        "--cases",
        default=",".join(POLY_CASES),
        help="polytomous suite, comma-separated: " + ", ".join(POLY_CASES).replace("%", "%%"),
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.suite == "polytomous":
        if args.worker:
            poly_worker(args)
        else:
            poly_main(args)
        return
    if args.worker:
        worker(args)
        return
    sizes = [s for s in args.sizes.split(",") if s]
    peers = [p for p in args.peers.split(",") if p]
    for name in sizes + peers:
        if name not in SIZES and name not in PEERS:
            parser.error(f"unknown size or peer {name!r}")
    threads = f"{args.threads} thread(s) per library" if args.threads else "default threads"
    print(
        f"# edutools IRT benchmark, {os.cpu_count()} CPUs, {threads}, load average {os.getloadavg()[0]:.2f} at start"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            n, J, missing = SIZES[size]
            data, a_true, b_true = _simulate(n, J, missing, Path(tmp))
            results = {}
            for lib in peers:
                if size.startswith("1000000") and lib != "edutools" and not args.large_peers:
                    results[lib] = {"error": "not run (--large-peers runs it)"}
                    continue
                results[lib] = _run(lib, data, args)
                r = results[lib]
                status = r.get("error") or f"{r['seconds']:.3f} s"
                print(f"  {size:24s} {lib:9s} {status}", flush=True)
            base = results.get("edutools", {}).get("seconds")
            for lib, r in results.items():
                row = {
                    "size": size,
                    "library": lib,
                    **{k: r.get(k) for k in ("seconds", "peak_gib", "fit_gib", "error")},
                }
                if "a" in r:
                    row["rmse_a"] = _rmse(r["a"], a_true)
                    row["rmse_b"] = _rmse(r["b"], b_true)
                if base and r.get("seconds"):
                    row["edutools_speedup"] = r["seconds"] / base
                rows.append(row)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    print(
        "| size | library | wall s | peak GiB | fit GiB | RMSE(a) | RMSE(b) | edutools speed-up |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.get("error"):
            print(f"| {r['size']} | {r['library']} | {r['error']} | | | | | |")
            continue
        print(
            f"| {r['size']} | {r['library']} | {r['seconds']:.3f} | {r['peak_gib']:.2f} | {r['fit_gib']:.2f} | "
            f"{r['rmse_a']:.4f} | {r['rmse_b']:.4f} | {r.get('edutools_speedup', float('nan')):.1f}× |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
