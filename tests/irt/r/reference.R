# Reference values for tests/irt, produced once with R 4.2 and committed next to this script.
#
#   cd tests/irt/r && Rscript reference.R
#
# Writes the simulated data sets it uses (*.csv) and reference.json. Packages: psych (alpha,
# KR-20, r.drop), eRm (infit/outfit of a Rasch model), lme4 (1PL by adaptive Gauss-Hermite
# quadrature: glmer with nAGQ = 25 is marginal maximum likelihood), stats (mantelhaen.test).
suppressPackageStartupMessages({
  library(psych)
  library(eRm)
  library(lme4)
  library(jsonlite)
})
set.seed(20240611)
out <- list()
out$r_version <- R.version.string
out$packages <- list(psych = as.character(packageVersion("psych")),
                     eRm = as.character(packageVersion("eRm")),
                     lme4 = as.character(packageVersion("lme4")))

sim_1pl <- function(n, b, a = 1, missing = 0) {
  theta <- rnorm(n)
  p <- plogis(a * outer(theta, b, "-"))
  x <- matrix(rbinom(length(p), 1, p), n)
  if (missing > 0) x[matrix(runif(length(p)) < missing, n)] <- NA
  colnames(x) <- paste0("I", seq_along(b))
  x
}

# ---------------------------------------------------------------- classical statistics (psych)
ctt <- function(x) {
  a <- suppressWarnings(psych::alpha(as.data.frame(x), warnings = FALSE))
  list(alpha = a$total$raw_alpha,
       alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
       r_drop = unname(a$item.stats$r.drop),
       p = unname(colMeans(x, na.rm = TRUE)))
}
lsat6 <- as.matrix(read.csv("../../data/lsat6.csv"))
lsat7 <- as.matrix(read.csv("../../data/lsat7.csv"))
out$ctt_lsat6 <- ctt(lsat6)
out$ctt_lsat7 <- ctt(lsat7)

# ---------------------------------------------------------------- 1PL with missing data (lme4)
onepl <- sim_1pl(600, seq(-1.5, 1.5, length.out = 8), a = 1.3, missing = 0.2)
write.csv(onepl, "onepl_missing.csv", row.names = FALSE, na = "")
out$ctt_onepl_missing <- ctt(onepl)
long <- data.frame(person = factor(rep(seq_len(nrow(onepl)), ncol(onepl))),
                   item = factor(rep(colnames(onepl), each = nrow(onepl)), levels = colnames(onepl)),
                   y = as.vector(onepl))
long <- long[!is.na(long$y), ]
g <- glmer(y ~ 0 + item + (1 | person), data = long, family = binomial, nAGQ = 25,
           control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
out$glmer_1pl <- list(loglik = as.numeric(logLik(g)),
                      d = unname(fixef(g)),
                      se_d = unname(sqrt(diag(as.matrix(vcov(g))))),
                      a = unname(sqrt(as.numeric(VarCorr(g)$person))))

# ---------------------------------------------------------------- infit / outfit (eRm)
rasch <- sim_1pl(300, seq(-2, 2, length.out = 10))
write.csv(rasch, "rasch_sim.csv", row.names = FALSE)
rm_fit <- RM(rasch)
pp <- person.parameter(rm_fit)
ifit <- itemfit(pp)
keep <- setdiff(seq_len(nrow(rasch)), pp$pers.ex)
out$erm_rasch <- list(beta = unname(rm_fit$betapar),
                      persons = keep,
                      theta = unname(coef(pp)[keep]),
                      infit = unname(ifit$i.infitMSQ), outfit = unname(ifit$i.outfitMSQ),
                      infit_z = unname(ifit$i.infitZ), outfit_z = unname(ifit$i.outfitZ))

# ---------------------------------------------------------------- Mantel-Haenszel DIF (stats)
n <- 1000
grp <- rep(c("ref", "focal"), each = n / 2)
b <- seq(-1.5, 1.5, length.out = 12)
theta <- rnorm(n)
shift <- matrix(0, n, 12)
shift[grp == "focal", 3] <- 0.8    # item 3 harder for the focal group
shift[grp == "focal", 9] <- -0.6   # item 9 easier for the focal group
p <- plogis(outer(theta, b, "-") - shift)
dif <- matrix(rbinom(length(p), 1, p), n)
colnames(dif) <- paste0("I", 1:12)
write.csv(data.frame(group = grp, dif), "dif_sim.csv", row.names = FALSE)
total <- rowSums(dif)
mh <- lapply(seq_len(ncol(dif)), function(j) {
  ok <- total %in% as.integer(names(which(table(total) >= 2)))
  tab <- table(factor(grp[ok], levels = c("ref", "focal")),
               factor(dif[ok, j], levels = c(1, 0)), total[ok])
  r <- mantelhaen.test(tab, correct = TRUE)
  list(chi2 = unname(r$statistic), p = r$p.value, alpha_mh = unname(r$estimate),
       conf_low = r$conf.int[1], conf_high = r$conf.int[2])
})
out$mantel_haenszel <- mh

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")
cat("wrote reference.json\n")
