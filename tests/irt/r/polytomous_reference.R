# Conditional-ML reference values for tests/irt/test_reference_cml.py, produced once with R 4.2
# (Debian packages r-cran-psychotools 0.7, r-cran-erm 1.0) and committed with the data sets:
#
#   cd tests/irt/r && Rscript polytomous_reference.R
#
# Writes the data sets (*.csv: the packages' own example data, one copy with 10 % of the
# responses deleted at random, and a simulated graded-response data set for the MML checks
# of mml_likelihood.R) and cml_reference.json.
#
# Parameterisations compared (see edutools.irt.cml):
# - psychotools threshpar(): thresholds (type "mode") summing to zero over all items and
#   categories; itempar(): item means of the thresholds, summing to zero; personpar(): ML
#   person parameters per raw score.
# - eRm: betapar are easiness parameters (minus the cumulative thresholds) with sum zero;
#   thresholds() gives the thresholds with eRm's own origin (compare after centring).
suppressPackageStartupMessages({
  library(psychotools)
  library(eRm)
  library(jsonlite)
})
out <- list()
out$r_version <- R.version.string
out$packages <- list(psychotools = as.character(packageVersion("psychotools")),
                     eRm = as.character(packageVersion("eRm")))

data(VerbalAggression, package = "psychotools")
va <- as.data.frame(unclass(VerbalAggression$resp))
va2 <- as.data.frame(unclass(VerbalAggression$resp2))
set.seed(20240611)
va_na <- va
va_na[matrix(runif(prod(dim(va))) < 0.1, nrow(va))] <- NA
data(pcmdat, pcmdat2, rsmdat, raschdat1, package = "eRm")
write.csv(va, "verbal_aggression.csv", row.names = FALSE)
write.csv(va2, "verbal_aggression_binary.csv", row.names = FALSE)
write.csv(va_na, "verbal_aggression_na.csv", row.names = FALSE, na = "")
write.csv(pcmdat, "pcmdat.csv", row.names = FALSE)
write.csv(pcmdat2, "pcmdat2.csv", row.names = FALSE)
write.csv(rsmdat, "rsmdat.csv", row.names = FALSE)
write.csv(raschdat1, "raschdat1.csv", row.names = FALSE)

# ---------------------------------------------------------------- psychotools (CML)
summarise <- function(fit) {
  tp <- threshpar(fit)
  ip <- itempar(fit)
  list(loglik = as.numeric(logLik(fit)),
       df = attr(logLik(fit), "df"),
       nobs = fit$n,
       thresholds = unname(lapply(tp, as.numeric)),
       se_thresholds = unname(sqrt(diag(vcov(tp)))),
       itempar = as.numeric(ip),
       se_itempar = unname(sqrt(diag(vcov(ip)))))
}
out$psychotools <- list(
  rasch_verbal_binary = summarise(raschmodel(va2)),
  rasch_raschdat1 = summarise(raschmodel(raschdat1)),
  pcm_verbal = summarise(pcmodel(va)),
  pcm_verbal_na = summarise(pcmodel(va_na)),
  pcm_pcmdat = summarise(pcmodel(pcmdat)),
  rsm_verbal = summarise(rsmodel(va))
)
# ML person parameters by raw score (psychotools drops the extreme scores)
pp <- personpar(pcmodel(va))
out$psychotools$pcm_verbal$personpar <- list(score = as.integer(names(pp)), theta = as.numeric(pp))

# ---------------------------------------------------------------- eRm (CML)
erm <- function(fit) {
  res <- list(loglik = fit$loglik,
              betapar = unname(fit$betapar),
              se_beta = unname(fit$se.beta))
  if (fit$model != "RM") {
    th <- thresholds(fit)$threshtable[[1]]
    res$thresholds <- unname(lapply(seq_len(nrow(th)), function(i) {
      v <- unname(th[i, -1]); v[!is.na(v)]
    }))
  }
  res
}
out$erm <- list(
  rm_raschdat1 = erm(RM(raschdat1)),
  pcm_pcmdat2 = erm(PCM(pcmdat2)),
  rsm_rsmdat = erm(RSM(rsmdat)),
  pcm_verbal = erm(PCM(va))
)

# ---------------------------------------------------------------- WLE (Warm, 1989), by hand
# For the PCM with psychotools' thresholds: the root of r - sum_j E_j(θ) + I'(θ) / (2 I(θ)),
# with I = sum_j Var_j and I' = sum_j (third central moment)_j, for every raw score.
tp <- threshpar(pcmodel(va))
moments <- function(theta) {
  E <- 0; V <- 0; M3 <- 0
  for (b in tp) {
    z <- c(0, cumsum(theta - unname(b)))
    p <- exp(z - max(z)); p <- p / sum(p)
    k <- seq_along(p) - 1
    e <- sum(k * p)
    E <- E + e; V <- V + sum((k - e)^2 * p); M3 <- M3 + sum((k - e)^3 * p)
  }
  c(E = E, V = V, M3 = M3)
}
max_score <- sum(sapply(tp, length))
wle <- sapply(0:max_score, function(r) {
  uniroot(function(t) { m <- moments(t); r - m["E"] + m["M3"] / (2 * m["V"]) },
          c(-15, 15), tol = 1e-12)$root
})
out$wle_pcm_verbal <- list(score = 0:max_score, theta = wle,
                           se = sapply(wle, function(t) 1 / sqrt(moments(t)["V"])))

# ---------------------------------------------------------------- data for the MML checks
# A graded-response sample with items of 2 to 5 categories and 10 % missing responses.
set.seed(7)
n <- 400
a <- c(1.2, 0.8, 1.5, 1.0, 0.6, 1.3)
b <- list(-0.3, c(-1, 0.4), c(-1.2, 0, 1.1), c(-1.5, -0.5, 0.5, 1.5), c(-0.5, 0.8), c(-0.8, 0.2, 1))
theta <- rnorm(n)
grm <- sapply(seq_along(a), function(j) {
  star <- plogis(a[j] * outer(theta, b[[j]], "-"))
  rowSums(runif(n) < star)
})
grm[matrix(runif(length(grm)) < 0.1, n)] <- NA
colnames(grm) <- paste0("G", seq_along(a))
write.csv(grm, "grm_mixed_na.csv", row.names = FALSE, na = "")

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "cml_reference.json")
