# An independent marginal likelihood of the GPCM, GRM and PCM, for tests/irt/test_reference_mml.py.
# Debian has no R mirt (psychotools' gpcmodel needs it), so the likelihood is written here:
#
#   cd tests/irt/r && python mml_ours.py && Rscript mml_likelihood.R
#
# For each case of mml_ours.json (our estimates) it computes, with base R only:
# 1. the log-likelihood at our estimates two ways: a rectangle rule on 401 nodes over
#    [-10, 10] weighted by the normal density, and integrate() person by person;
# 2. the numerical gradient of the grid log-likelihood at our estimates;
# 3. a search for a higher point: nlminb (numerical gradient, a 201-node grid on [-8, 8])
#    started at our estimates, and for the smallest case also from our estimates moved by
#    seeded N(0, 0.1²) noise, an independent convergence to the maximum. If ours is the
#    maximum, R finds no higher point (and comes back to ours).
# Models (θ ~ N(0, σ²); σ = 1 except for the PCM):
#   gpcm: P(X = k) ∝ exp(sum_{v <= k} a (θ - b_v));  pcm: the same with a = 1;
#   grm:  P(X >= k) = plogis(a (θ - b_k)).
suppressPackageStartupMessages(library(jsonlite))
ours <- fromJSON("mml_ours.json", simplifyVector = FALSE)

cat_probs <- function(model, a, b, theta) {
  # categories × length(theta)
  if (model == "grm") {
    star <- rbind(1, plogis(a * outer(b, theta, function(bk, t) t - bk)), 0)
    return(star[-nrow(star), , drop = FALSE] - star[-1, , drop = FALSE])
  }
  z <- rbind(0, apply(a * outer(b, theta, function(bk, t) t - bk), 2, cumsum))
  z <- sweep(z, 2, apply(z, 2, max))
  p <- exp(z)
  sweep(p, 2, colSums(p), "/")
}

person_loglik <- function(X, model, a, b, theta) {
  # persons × length(theta) log-likelihood of the observed responses
  L <- matrix(0, nrow(X), length(theta))
  for (j in seq_len(ncol(X))) {
    P <- cat_probs(model, a[j], b[[j]], theta)
    x <- X[, j]
    ok <- !is.na(x)
    L[ok, ] <- L[ok, ] + log(P[x[ok] + 1, , drop = FALSE])
  }
  L
}

fine <- seq(-10, 10, length.out = 401)
coarse <- seq(-8, 8, length.out = 201)
loglik_grid <- function(X, model, a, b, sigma, grid = fine) {
  w <- dnorm(grid, 0, sigma)
  w <- w / sum(w)
  L <- person_loglik(X, model, a, b, grid)
  m <- apply(L, 1, max)
  sum(m + log(exp(L - m) %*% w))
}

loglik_integrate <- function(X, model, a, b, sigma) {
  total <- 0
  for (i in seq_len(nrow(X))) {
    xi <- X[i, , drop = FALSE]
    peak <- max(person_loglik(xi, model, a, b, fine) + dnorm(fine, 0, sigma, log = TRUE))
    f <- function(t) exp(person_loglik(xi, model, a, b, t)[1, ] + dnorm(t, 0, sigma, log = TRUE) - peak)
    v <- integrate(f, -Inf, Inf, rel.tol = 1e-10, subdivisions = 1000L)$value
    total <- total + peak + log(v)
  }
  total
}

# parameter vectors: gpcm (a_j, b_j.), grm (a_j, b_j1, log gaps), pcm (log σ, b_j.)
pack <- function(model, a, b, sigma) {
  if (model == "grm") return(unlist(lapply(seq_along(a), function(j) c(a[j], b[[j]][1], log(diff(b[[j]]))))))
  if (model == "pcm") return(c(log(sigma), unlist(b)))
  unlist(lapply(seq_along(a), function(j) c(a[j], b[[j]])))
}
unpack <- function(model, par, K) {
  a <- numeric(length(K)); b <- vector("list", length(K)); sigma <- 1; pos <- 1
  if (model == "pcm") { sigma <- exp(par[1]); pos <- 2 }
  for (j in seq_along(K)) {
    if (model == "pcm") a[j] <- 1 else { a[j] <- par[pos]; pos <- pos + 1 }
    v <- par[pos:(pos + K[j] - 1)]; pos <- pos + K[j]
    b[[j]] <- if (model == "grm") cumsum(c(v[1], exp(v[-1]))) else v
  }
  list(a = a, b = b, sigma = sigma)
}

out <- list(r_version = R.version.string, grid = "401 nodes on [-10, 10]")
set.seed(1)
for (name in names(ours)) {
  case <- ours[[name]]
  X <- as.matrix(read.csv(case$data))
  model <- case$model
  a <- unlist(case$a); b <- lapply(case$thresholds, unlist); sigma <- case$sigma
  K <- sapply(b, length)
  negll <- function(par) {
    p <- unpack(model, par, K)
    -loglik_grid(X, model, p$a, p$b, p$sigma, coarse)
  }
  at_ours <- pack(model, a, b, sigma)
  h <- 1e-5
  grad <- sapply(seq_along(at_ours), function(i) {
    e <- replace(numeric(length(at_ours)), i, h)
    (negll(at_ours - e) - negll(at_ours + e)) / (2 * h)
  })
  fit_from <- function(start) {
    fit <- nlminb(start, negll, control = list(eval.max = 1e5, iter.max = 1e4, rel.tol = 1e-13))
    est <- unpack(model, fit$par, K)
    list(convergence = fit$convergence, message = fit$message,
         loglik_grid = loglik_grid(X, model, est$a, est$b, est$sigma),
         a = est$a, thresholds = est$b, sigma = est$sigma)
  }
  out[[name]] <- list(
    model = model,
    loglik_ours_grid = loglik_grid(X, model, a, b, sigma),
    loglik_ours_integrate = loglik_integrate(X, model, a, b, sigma),
    max_abs_gradient_ours = max(abs(grad)),
    r_from_ours = fit_from(at_ours)
  )
  if (length(at_ours) <= 30) {
    set.seed(1)
    out[[name]]$r_from_perturbed <- fit_from(at_ours + rnorm(length(at_ours), 0, 0.1))
  }
  cat(name, ": ours", out[[name]]$loglik_ours_grid, "R", out[[name]]$r_from_ours$loglik_grid, "\n")
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "mml_reference.json")
