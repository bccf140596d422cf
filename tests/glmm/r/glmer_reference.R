# Reference values for edutools.glmm.fit_glmer: lme4::glmer (Laplace, nAGQ = 1, defaults)
# on the committed simulated datasets. Writes glmer_reference.json next to this script.
#
#   Rscript tests/glmm/r/glmer_reference.R
#
# Timings are the median elapsed seconds of 5 fits (system.time), single-threaded BLAS.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  dirname(normalizePath(f))
})

cases <- list(
  one_factor = list(file = "glmm_one_factor.csv", formula = y ~ x * style + (1 | participant)),
  crossed = list(file = "glmm_crossed.csv", formula = y ~ level * trait + (1 | participant) + (1 | item)),
  crossed_large = list(file = "glmm_crossed_large.csv", formula = y ~ level * trait + (1 | participant) + (1 | item))
)

out <- list(lme4_version = as.character(packageVersion("lme4")), R_version = R.version.string)
for (name in names(cases)) {
  case <- cases[[name]]
  d <- read.csv(file.path(here, case$file), stringsAsFactors = TRUE)
  fit <- glmer(case$formula, data = d, family = binomial)
  times <- replicate(5, system.time(glmer(case$formula, data = d, family = binomial))[["elapsed"]])
  fe <- fixef(fit)
  se <- sqrt(diag(as.matrix(vcov(fit))))
  vc <- as.data.frame(VarCorr(fit))
  out[[name]] <- list(
    formula = paste(deparse(case$formula), collapse = ""),
    file = case$file,
    n_obs = nobs(fit),
    terms = names(fe),
    fixef = unname(fe),
    se = unname(se),
    re_groups = vc$grp,
    re_sd = vc$sdcor,
    loglik = as.numeric(logLik(fit)),
    aic = AIC(fit),
    seconds_median = median(times),
    seconds_all = times
  )
}
write_json(out, file.path(here, "glmer_reference.json"), digits = 10, auto_unbox = TRUE, pretty = TRUE)
cat(toJSON(out, digits = 6, auto_unbox = TRUE, pretty = TRUE), "\n")
