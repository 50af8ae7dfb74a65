# Time R GSVA 1.46 (old API: gsva(expr, gset.idx.list, method=...)) for the benchmark harness.
#
# Usage (positional):
#   Rscript benchmarks/r_gsva_timing.R EXPR.tsv[.gz] SETS.gmt METHOD OUT.tsv [KCDF]
# or with named options (any order, may be mixed with the positional form):
#   Rscript benchmarks/r_gsva_timing.R --expr=EXPR.tsv --gmt=SETS.gmt --method=gsva \
#       --out=scores.tsv [--kcdf=Gaussian] [--mx-diff=TRUE] [--abs-ranking=FALSE] \
#       [--tau=1] [--ssgsea-norm=TRUE] [--min-sz=1] [--max-sz=Inf] [--parallel-sz=1]
#
#   EXPR    tab-separated, genes in rows, samples in columns, first column = gene ID
#           (header row = sample names); .gz accepted.
#   SETS    GMT: name <TAB> description <TAB> gene <TAB> gene ...
#   METHOD  gsva | ssgsea | zscore | plage
#   KCDF    Gaussian (default) | Poisson | none (only used by method="gsva"). With Poisson the
#           matrix is passed as an R integer matrix when every value is a whole number.
#   OUT     scores written as TSV: first column gene_set, then samples, values "%.17g".
#
# Prints exactly one line on stdout:  elapsed_seconds=<x>
# where <x> is the wall-clock time of the gsva() call only (reading inputs and writing the
# scores are not timed). Diagnostics go to stderr. Exit status != 0 on error.

suppressPackageStartupMessages(library(GSVA))

args <- commandArgs(trailingOnly = TRUE)
named <- grepl("^--[A-Za-z-]+=", args)
opt <- list()
for (a in args[named]) {
  kv <- regmatches(a, regexpr("=", a), invert = TRUE)[[1]]
  opt[[sub("^--", "", kv[1])]] <- kv[2]
}
pos <- args[!named]
keys <- c("expr", "gmt", "method", "out", "kcdf")
for (i in seq_along(pos)) {
  if (i > length(keys)) stop("too many positional arguments")
  if (is.null(opt[[keys[i]]])) opt[[keys[i]]] <- pos[i]
}
for (k in c("expr", "gmt", "method", "out"))
  if (is.null(opt[[k]])) stop("missing argument: ", k,
    "\nusage: Rscript r_gsva_timing.R EXPR.tsv SETS.gmt METHOD OUT.tsv [KCDF]")

getopt <- function(k, default, conv = identity) if (is.null(opt[[k]])) default else conv(opt[[k]])
method <- match.arg(opt$method, c("gsva", "ssgsea", "zscore", "plage"))
kcdf <- match.arg(getopt("kcdf", "Gaussian"), c("Gaussian", "Poisson", "none"))
mx.diff <- getopt("mx-diff", TRUE, as.logical)
abs.ranking <- getopt("abs-ranking", FALSE, as.logical)
tau <- getopt("tau", switch(method, gsva = 1, ssgsea = 0.25, NA), as.numeric)
ssgsea.norm <- getopt("ssgsea-norm", TRUE, as.logical)
min.sz <- getopt("min-sz", 1, as.numeric)
max.sz <- getopt("max-sz", Inf, as.numeric)
parallel.sz <- getopt("parallel-sz", 1L, as.integer)

con <- if (grepl("\\.gz$", opt$expr)) gzfile(opt$expr) else file(opt$expr)
df <- read.delim(con, row.names = 1, check.names = FALSE, quote = "", comment.char = "")
expr <- as.matrix(df)
rm(df)
if (kcdf == "Poisson" && !is.integer(expr) && all(expr == round(expr), na.rm = TRUE))
  storage.mode(expr) <- "integer"
gl <- strsplit(readLines(opt$gmt), "\t")
gsets <- setNames(lapply(gl, function(x) x[-(1:2)]), vapply(gl, `[`, "", 1))

message(sprintf("R GSVA %s (%s): method=%s kcdf=%s mx.diff=%s abs.ranking=%s tau=%s ssgsea.norm=%s; %d genes x %d samples, %d sets",
                packageVersion("GSVA"), R.version.string, method, kcdf, mx.diff, abs.ranking,
                tau, ssgsea.norm, nrow(expr), ncol(expr), length(gsets)))

t0 <- proc.time()[["elapsed"]]
# ssgsea() in 1.46 print()s progress messages even with verbose=FALSE: keep stdout clean
sink(stderr())
es <- gsva(expr, gsets, method = method, kcdf = kcdf, abs.ranking = abs.ranking,
           min.sz = min.sz, max.sz = max.sz, parallel.sz = parallel.sz, mx.diff = mx.diff,
           tau = tau, ssgsea.norm = ssgsea.norm, verbose = FALSE)
sink()
elapsed <- proc.time()[["elapsed"]] - t0

es <- as.matrix(es)
txt <- matrix(sprintf("%.17g", es), nrow = nrow(es), dimnames = dimnames(es))
out <- data.frame(gene_set = rownames(es), txt, check.names = FALSE)
write.table(out, opt$out, sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("elapsed_seconds=%.3f\n", elapsed))
