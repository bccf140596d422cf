# Reference values for edutools.survey.instruments from R's psych.
# Run from the repository root:  Rscript tests/survey/r/instruments/reference.R
# Input:  responses.csv (make_data.py).  Output: reference_scores.csv,
# reference_reliability.csv, reference_z.csv, and sessionInfo in reference_session.txt.
suppressPackageStartupMessages(library(psych))
here <- "tests/survey/r/instruments"
x <- read.csv(file.path(here, "responses.csv"), row.names = 1)

# The scoring keys of the instrument files (reverse-keyed items prefixed with "-").
instruments <- list(
  bfi10 = list(min = 1, max = 5, keys = list(
    extraversion = c("-bfi10_01", "bfi10_06"),
    agreeableness = c("bfi10_02", "-bfi10_07"),
    conscientiousness = c("-bfi10_03", "bfi10_08"),
    neuroticism = c("-bfi10_04", "bfi10_09"),
    openness = c("-bfi10_05", "bfi10_10"))),
  tipi = list(min = 1, max = 7, keys = list(
    extraversion = c("tipi_01", "-tipi_06"),
    agreeableness = c("-tipi_02", "tipi_07"),
    conscientiousness = c("tipi_03", "-tipi_08"),
    emotional_stability = c("-tipi_04", "tipi_09"),
    openness = c("tipi_05", "-tipi_10"))),
  trust_automation = list(min = 1, max = 7, keys = list(
    trust_total = c(paste0("-tia_0", 1:5), paste0("tia_", sprintf("%02d", 6:12))),
    trust = paste0("tia_", sprintf("%02d", 6:12)),
    distrust = paste0("tia_0", 1:5)))
)

scores <- list(); rel <- list(); zs <- list()
for (inst in names(instruments)) {
  spec <- instruments[[inst]]
  items <- unique(sub("^-", "", unlist(spec$keys)))
  # Mean of the available keyed items (impute = "none"), as edutools scores them.
  sc <- scoreItems(spec$keys, x[, items], totals = FALSE, impute = "none",
                   min = spec$min, max = spec$max)$scores
  for (s in names(spec$keys)) {
    scores[[length(scores) + 1]] <- data.frame(id = rownames(x), instrument = inst,
                                               subscale = s, score = sc[, s])
    z <- as.numeric(scale(sc[, s]))
    zs[[length(zs) + 1]] <- data.frame(id = rownames(x), instrument = inst, subscale = s, z = z)
    key <- spec$keys[[s]]
    rev <- sub("^-", "", key[startsWith(key, "-")])
    plain <- sub("^-", "", key)
    keyed <- x[, plain, drop = FALSE]
    for (i in rev) keyed[[i]] <- spec$min + spec$max - keyed[[i]]
    keyed <- na.omit(keyed)  # edutools uses complete cases
    a <- psych::alpha(keyed, check.keys = FALSE, warnings = FALSE)$total
    om <- NA; sb <- NA
    if (length(plain) >= 3) {
      om <- suppressWarnings(suppressMessages(
        omega(keyed, nfactors = 1, fm = "minres", plot = FALSE, flip = FALSE)))$omega.tot
    }
    if (length(plain) == 2) sb <- a$std.alpha  # = 2r / (1 + r) for two items
    rel[[length(rel) + 1]] <- data.frame(instrument = inst, subscale = s,
                                         n_complete = nrow(keyed), alpha = a$raw_alpha,
                                         omega_total = om, spearman_brown = sb)
  }
}
write.csv(do.call(rbind, scores), file.path(here, "reference_scores.csv"), row.names = FALSE)
write.csv(do.call(rbind, rel), file.path(here, "reference_reliability.csv"), row.names = FALSE)
write.csv(do.call(rbind, zs), file.path(here, "reference_z.csv"), row.names = FALSE)
writeLines(capture.output(sessionInfo()), file.path(here, "reference_session.txt"))
