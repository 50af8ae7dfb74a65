# Reference singscore outputs for rrscore's parity tests (tests/methods/test_singscore.py).
#
# Run from the repository root with a checkout of DavisLaboratory/singscore (@16f1213,
# version 1.29.1) whose R/ and data/ folders are given by SINGSCORE_R and SINGSCORE_DATA:
#     SINGSCORE_R=.../singscore/R SINGSCORE_DATA=.../singscore/data \
#         Rscript tests/data/singscore_tgfb/make_fixtures.R
# singscore's own scoring code is sourced (as ../shared/reference/scripts/ref_singscore.R
# does; the package itself is not installed here), DGEList is stubbed.
# Input: the package's example data tgfb_expr_10_se (11,900 Entrez genes x 10 samples,
# full double precision) and the gene sets tgfb_gs_up (193) / tgfb_gs_dn (108).
# Writes, in tests/data/singscore_tgfb/:
#   expr.tsv.gz                  the expression as scored (printed so it reads back exactly)
#   genesets.gmt                 TGFB_EMT_UP, TGFB_EMT_DN (Entrez IDs)
#   reference_singscore_*.tsv    simpleScore() tables, first column `sample`, %.17g
#   calls.tsv                    the exact call of each reference
#   sessionInfo.txt
# Variants named `rounded_*` score the expression rounded to 1 decimal (computed here
# from expr.tsv.gz, so they need no file of their own), which creates many ties, to test
# the ties methods and the median of tied ranks used by knownDirection=FALSE.
suppressMessages({library(GSEABase); library(SummarizedExperiment); library(methods)
                  library(matrixStats)})
if (!isClass("DGEList")) setClass("DGEList", representation("list"))
`%>%` <- function(x, f) f(x)
src <- Sys.getenv("SINGSCORE_R"); dat <- Sys.getenv("SINGSCORE_DATA")
stopifnot(nzchar(src), nzchar(dat))
for (f in c("singscore.R", "rankAndScoring.R", "rankGenesGeneric.R", "simpleScoreGeneric.R"))
  sys.source(file.path(src, f), envir = globalenv())
ld <- function(f) { e <- new.env(); load(f, envir = e); get(ls(e)[1], e) }
se <- ld(file.path(dat, "tgfb_expr_10_se.rda"))
up <- ld(file.path(dat, "tgfb_gs_up.rda")); dn <- ld(file.path(dat, "tgfb_gs_dn.rda"))
OUT <- "tests/data/singscore_tgfb"
stopifnot(dir.exists(OUT))

fmt17 <- function(x) sprintf("%.17g", x)
# shortest of %.15g / %.16g / %.17g that reads back as the same double (smaller file)
fmt_short <- function(x) {
  y <- sprintf("%.17g", x)
  for (d in c(16, 15)) {
    s <- sprintf(paste0("%.", d, "g"), x)
    ok <- as.numeric(s) == x
    y[ok] <- s[ok]
  }
  y
}
m <- as.matrix(assay(se))
con <- gzfile(file.path(OUT, "expr.tsv.gz"), "w")
writeLines(paste(c("gene", colnames(m)), collapse = "\t"), con)
writeLines(paste(rownames(m), apply(apply(m, 2, fmt_short), 1, paste, collapse = "\t"),
                 sep = "\t"), con)
close(con)
writeLines(c(paste(c("TGFB_EMT_UP", "singscore::tgfb_gs_up (Foroutan 2017, Entrez)",
                     geneIds(up)), collapse = "\t"),
             paste(c("TGFB_EMT_DN", "singscore::tgfb_gs_dn (Foroutan 2017, Entrez)",
                     geneIds(dn)), collapse = "\t")),
           file.path(OUT, "genesets.gmt"))

# score what was written, read back (identical doubles, checked)
m2 <- as.matrix(read.delim(file.path(OUT, "expr.tsv.gz"), row.names = 1,
                           check.names = FALSE, colClasses = c("character",
                           rep("numeric", ncol(m)))))
stopifnot(identical(unname(m2), unname(m)), identical(rownames(m2), rownames(m)))
mr <- round(m2, 1)

calls <- character()
wr <- function(x, f, call) {
  x <- as.matrix(x)
  body <- apply(x, 2, fmt17)
  body <- matrix(body, nrow = nrow(x))
  lines <- c(paste(c("sample", colnames(x)), collapse = "\t"),
             apply(cbind(rownames(x), body), 1, paste, collapse = "\t"))
  writeLines(lines, file.path(OUT, f))
  calls <<- c(calls, paste(f, call, sep = "\t"))
}
run <- function(f, call) wr(eval(parse(text = call)), f, call)
run("reference_singscore_updown.tsv", "simpleScore(rankGenes(m2), upSet = up, downSet = dn)")
run("reference_singscore_updown_centerFALSE.tsv",
    "simpleScore(rankGenes(m2), upSet = up, downSet = dn, centerScore = FALSE)")
run("reference_singscore_updown_unknownDirection.tsv",
    "suppressWarnings(simpleScore(rankGenes(m2), upSet = up, downSet = dn, knownDirection = FALSE))")
run("reference_singscore_up_only_centerTRUE.tsv", "simpleScore(rankGenes(m2), upSet = up)")
run("reference_singscore_up_only_centerFALSE.tsv",
    "simpleScore(rankGenes(m2), upSet = up, centerScore = FALSE)")
run("reference_singscore_up_unknownDirection.tsv",
    "suppressWarnings(simpleScore(rankGenes(m2), upSet = up, knownDirection = FALSE))")
run("reference_singscore_dn_only_centerTRUE.tsv", "simpleScore(rankGenes(m2), upSet = dn)")
for (ties in c("min", "average", "max")) {
  run(sprintf("reference_singscore_rounded_updown_ties%s.tsv", ties),
      sprintf("simpleScore(rankGenes(mr, tiesMethod = '%s'), upSet = up, downSet = dn)", ties))
  run(sprintf("reference_singscore_rounded_up_unknownDirection_ties%s.tsv", ties),
      sprintf("suppressWarnings(simpleScore(rankGenes(mr, tiesMethod = '%s'), upSet = up, knownDirection = FALSE))", ties))
}
writeLines(c("file\tcall  (m2 = expr.tsv.gz as read; mr = round(m2, 1))", calls),
           file.path(OUT, "calls.tsv"))
writeLines(capture.output(sessionInfo()), file.path(OUT, "sessionInfo.txt"))
