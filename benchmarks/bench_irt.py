"""2PL calibration speed and accuracy: edutools against girth, the PyPI package mirt and py-irt.

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
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
