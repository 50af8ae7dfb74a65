# Generate the R GSVA 1.46 reference fixtures used by rrscore's parity tests.
#
# Run from the repository root, with the shared data checked out at ../shared:
#     Rscript tests/data/make_r_fixtures.R
# Needs Debian's r-bioc-gsva (GSVA 1.46.0, R 4.2.2). Writes, under tests/data/:
#   leukemia_small/     Armstrong 2002 leukemia (all 9,052 genes x 37 samples), 22 sets
#   edge_cases/         300 genes x 12 samples of that data, with ties / constant genes /
#                       a repeated value / an identical twin row, and awkward gene sets
#   tcga_counts_small/  TCGA LUAD STAR counts, 1,500 genes x 32 samples, 10 hallmark sets
# Every folder gets: its inputs (expr TSV with first column `gene`, genesets.gmt), the
# reference score tables (first column `gene_set`, then samples; numbers printed with
# sprintf("%.17g") so they round-trip to the exact doubles), calls.tsv (the exact gsva()
# call of each file, plus R warnings/errors) and sessionInfo.txt.
#
# Every reference is computed from the input files *as written and read back*, so the
# committed inputs are exactly what R scored.

suppressPackageStartupMessages(library(GSVA))
stopifnot(packageVersion("GSVA") == "1.46.0")
options(warn = 1, stringsAsFactors = FALSE)

SH <- "../shared"
OUT <- "tests/data"
stopifnot(dir.exists(SH), dir.exists(OUT))

# ---------------------------------------------------------------- helpers
fmt17 <- function(x) {
  y <- sprintf("%.17g", x)           # NA -> "NA", NaN -> "NaN", Inf -> "Inf"
  y[is.na(x) & !is.nan(x)] <- "NA"
  y
}

write_matrix <- function(m, path, first = "gene", integer = FALSE) {
  body <- if (integer) {
    stopifnot(is.integer(m) || all(m == round(m)))
    sprintf("%d", as.integer(m))
  } else fmt17(m)
  body <- matrix(body, nrow = nrow(m))
  lines <- c(paste(c(first, colnames(m)), collapse = "\t"),
             apply(cbind(rownames(m), body), 1, paste, collapse = "\t"))
  con <- if (grepl("\\.gz$", path)) gzfile(path, "w") else file(path, "w")
  writeLines(lines, con)
  close(con)
}

read_matrix <- function(path) {
  con <- if (grepl("\\.gz$", path)) gzfile(path) else file(path)
  df <- read.delim(con, row.names = 1, check.names = FALSE, quote = "",
                   comment.char = "", na.strings = "NA")
  as.matrix(df)
}

write_gmt <- function(gs, path, desc) {
  con <- file(path, "w")
  for (n in names(gs)) writeLines(paste(c(n, desc[[n]], gs[[n]]), collapse = "\t"), con)
  close(con)
}

read_gmt <- function(path) {
  l <- strsplit(readLines(path), "\t")
  setNames(lapply(l, function(x) x[-(1:2)]), vapply(l, `[`, "", 1))
}

# Run one gsva() call, record the exact call text, warnings and (if any) the error.
# If the call errors and `drop_failing` is TRUE, each set is tried alone; sets that
# error alone are dropped and the call is repeated on the remaining sets (recorded).
CALLS <- list()
run_fixture <- function(folder, file, call, env = parent.frame(), drop_failing = FALSE) {
  call_txt <- paste(deparse(call, width.cutoff = 500L), collapse = " ")
  warns <- character()
  ev <- function(en) {
    withCallingHandlers(
      tryCatch(eval(call, en), error = function(e) e),
      warning = function(w) {
        warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning")
      })
  }
  # the ssgsea() of 1.46 print()s progress even with verbose=FALSE: silence it
  capture.output(res <- ev(env))
  note <- ""
  if (inherits(res, "error")) {
    note <- paste("ERROR:", conditionMessage(res))
    if (drop_failing) {
      gsname <- as.character(call[[3]])
      gsl <- get(gsname, envir = env)
      bad <- character()
      for (n in names(gsl)) {
        e1 <- new.env(parent = env); assign(gsname, gsl[n], envir = e1)
        capture.output(r1 <- tryCatch(suppressWarnings(eval(call, e1)),
                                      error = function(e) e))
        if (inherits(r1, "error")) bad <- c(bad, n)
      }
      e2 <- new.env(parent = env); assign(gsname, gsl[setdiff(names(gsl), bad)], envir = e2)
      capture.output(res <- ev(e2))
      note <- paste0(note, " | sets that error alone, dropped for this file: ",
                     paste(bad, collapse = ","))
    }
  }
  CALLS[[length(CALLS) + 1L]] <<- data.frame(
    folder = folder, file = file, call = call_txt,
    warnings = paste(unique(warns), collapse = " || "), note = note)
  if (inherits(res, "error")) {
    message(folder, "/", file, ": ", note)
    return(invisible(NULL))
  }
  res <- as.matrix(res)
  txt <- matrix(fmt17(res), nrow = nrow(res), dimnames = dimnames(res))
  df <- data.frame(gene_set = rownames(res), txt, check.names = FALSE)
  write.table(df, file.path(OUT, folder, file), sep = "\t", quote = FALSE, row.names = FALSE)
  message(sprintf("%-20s %-45s %d x %d  NA:%d  range [%.4g, %.4g]%s", folder, file,
                  nrow(res), ncol(res), sum(is.na(res)),
                  min(res, na.rm = TRUE), max(res, na.rm = TRUE),
                  if (length(warns)) paste0("  warnings: ", length(unique(warns))) else ""))
  invisible(res)
}

finish_folder <- function(folder) {
  tab <- do.call(rbind, Filter(function(d) d$folder == folder, CALLS))
  write.table(tab[, c("file", "call", "warnings", "note")],
              file.path(OUT, folder, "calls.tsv"), sep = "\t", quote = FALSE,
              row.names = FALSE)
  writeLines(capture.output(sessionInfo()), file.path(OUT, folder, "sessionInfo.txt"))
}

# ======================================================= 1. leukemia_small
F1 <- "leukemia_small"
dir.create(file.path(OUT, F1), showWarnings = FALSE)
src <- file.path(SH, "data/gsvadata_leukemia_armstrong")
# full matrix (9,052 x 37, 1.1 MB gzipped, < 3 MB): copied byte for byte
invisible(file.copy(file.path(src, "expr.tsv.gz"), file.path(OUT, F1, "expr.tsv.gz"),
                    overwrite = TRUE))
invisible(file.copy(file.path(src, "samples.tsv"), file.path(OUT, F1, "samples.tsv"), overwrite = TRUE))
Sys.chmod(file.path(OUT, F1, c("expr.tsv.gz", "samples.tsv")), "0644")
stopifnot(unname(tools::md5sum(file.path(OUT, F1, "expr.tsv.gz"))) ==
          unname(tools::md5sum(file.path(src, "expr.tsv.gz"))))
expr <- read_matrix(file.path(OUT, F1, "expr.tsv.gz"))
stopifnot(identical(dim(expr), c(9052L, 37L)), !anyNA(expr))

g200 <- read_gmt(file.path(src, "fixtures/reference_genesets_symbols_200.gmt"))
gs <- lapply(g200[1:20], intersect, rownames(expr))
gs <- gs[lengths(gs) >= 2]
desc <- setNames(rep("CGP set (GSVAdata c2BroadSets, Entrez->symbol), reference_genesets_symbols_200.gmt", length(gs)), names(gs))
# deliberately small sets (sizes 2 and 3), cut from the first two real sets
gs[["SMALL2_FIRST2_OF_SET1"]] <- g200[[1]][1:2]
gs[["SMALL3_FIRST3_OF_SET2"]] <- g200[[2]][1:3]
desc[["SMALL2_FIRST2_OF_SET1"]] <- paste("first 2 genes of", names(g200)[1])
desc[["SMALL3_FIRST3_OF_SET2"]] <- paste("first 3 genes of", names(g200)[2])
write_gmt(gs, file.path(OUT, F1, "genesets.gmt"), desc)
gsets <- read_gmt(file.path(OUT, F1, "genesets.gmt"))

P <- "reference_GSVA1.46.0_"
run_fixture(F1, paste0(P, "ssgsea_tau0.25_normTRUE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0.25, ssgsea.norm = TRUE, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "ssgsea_tau0.25_normFALSE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0.25, ssgsea.norm = FALSE, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "ssgsea_tau0.5_normTRUE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0.5, ssgsea.norm = TRUE, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "ssgsea_tau0_normTRUE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0, ssgsea.norm = TRUE, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "ssgsea_tau0_normFALSE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0, ssgsea.norm = FALSE, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_gaussian_mxdiffTRUE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_gaussian_mxdiffFALSE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = FALSE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_gaussian_mxdiffTRUE_absrankingTRUE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, abs.ranking = TRUE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_gaussian_mxdiffTRUE_tau0.5.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, abs.ranking = FALSE, tau = 0.5, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_none_mxdiffTRUE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "none", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "gsva_none_mxdiffFALSE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "none", mx.diff = FALSE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "zscore.tsv"),
  quote(gsva(expr, gsets, method = "zscore", min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F1, paste0(P, "plage.tsv"),
  quote(gsva(expr, gsets, method = "plage", min.sz = 1, max.sz = Inf, verbose = FALSE)))
finish_folder(F1)

# ======================================================= 2. edge_cases
F2 <- "edge_cases"
dir.create(file.path(OUT, F2), showWarnings = FALSE)
full <- expr                                   # leukemia 9,052 x 37, read above
set.seed(20240601, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
rows <- sort(sample(nrow(full), 300))          # 300 genes, kept in file order
cols <- c(1:6, 21:26)                          # first 6 ALL + first 6 MLL samples
E <- full[rows, cols]
# (a) ties: rows 1-100 rounded to 1 decimal (many within-sample ties across genes)
E[1:100, ] <- round(E[1:100, ], 1)
# (b) 3 constant genes: rows 121-123 set to their row mean rounded to 1 decimal
for (i in 121:123) E[i, ] <- round(mean(E[i, ]), 1)
# (c) row 130: one value (its median, rounded to 1 decimal) in 6 of the 12 samples
half <- sort(sample(12, 6))
E[130, half] <- round(median(E[130, ]), 1)
# (d) row 140 becomes an identical copy of row 141 (an exact tie in every sample / CDF)
E[140, ] <- E[141, ]
write_matrix(E, file.path(OUT, F2, "expr.tsv"))
expr <- read_matrix(file.path(OUT, F2, "expr.tsv"))
stopifnot(identical(dim(expr), c(300L, 12L)), max(abs(expr - E)) == 0)
g <- rownames(expr)
egs <- list(
  SIZE1             = g[200],
  SIZE2             = g[201:202],
  SIZE3             = g[203:205],
  SIZE2_TIED_BLOCK  = g[5:6],
  TIED_BLOCK_20     = g[1:20],
  WITH_MISSING      = c(g[210:212], "NOT_IN_DATA_XYZ", g[213:214]),
  ALL_MISSING       = c("NOT_IN_DATA_1", "NOT_IN_DATA_2"),
  WITH_DUPLICATE    = c(g[220:224], g[220]),
  WITH_DUPLICATE_DEDUP = g[220:224],
  WITH_CONSTANT     = c(g[121], g[230:233]),
  ONLY_CONSTANT     = g[121:123],
  HALF_REPEATED_AND_TWINS = c(g[130], g[140], g[141], g[240:241]),
  BIG_280           = g[1:280]
)
edesc <- list(
  SIZE1 = "1 gene (row 200)", SIZE2 = "2 genes (rows 201-202)", SIZE3 = "3 genes (rows 203-205)",
  SIZE2_TIED_BLOCK = "2 genes from the rounded block (rows 5-6)",
  TIED_BLOCK_20 = "rows 1-20 (rounded to 1 decimal)",
  WITH_MISSING = "rows 210-214 plus NOT_IN_DATA_XYZ (absent)",
  ALL_MISSING = "only absent genes (maps to 0 genes)",
  WITH_DUPLICATE = "rows 220-224 with row 220 listed twice",
  WITH_DUPLICATE_DEDUP = "rows 220-224 (control for WITH_DUPLICATE)",
  WITH_CONSTANT = "constant row 121 plus rows 230-233",
  ONLY_CONSTANT = "constant rows 121-123 only",
  HALF_REPEATED_AND_TWINS = "row 130 (value repeated in 6/12 samples), rows 140/141 (identical), rows 240-241",
  BIG_280 = "rows 1-280 (includes the constant rows 121-123 and the twins)")
write_gmt(egs, file.path(OUT, F2, "genesets.gmt"), edesc)
gsets <- read_gmt(file.path(OUT, F2, "genesets.gmt"))
writeLines(c(
  "# rows (1-based, in expr.tsv order) and samples modified by make_r_fixtures.R",
  paste0("source_rows_in_leukemia_expr\t", paste(rows, collapse = ",")),
  paste0("source_columns_in_leukemia_expr\t", paste(cols, collapse = ",")),
  "rounded_to_1_decimal_rows\t1-100",
  "constant_rows\t121,122,123",
  paste0("row130_repeated_value_columns\t", paste(half, collapse = ",")),
  "row140_copy_of_row141\tTRUE"), file.path(OUT, F2, "derivation.txt"))

run_fixture(F2, paste0(P, "ssgsea_tau0.25_normTRUE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0.25, ssgsea.norm = TRUE, min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "ssgsea_tau0.25_normFALSE.tsv"),
  quote(gsva(expr, gsets, method = "ssgsea", tau = 0.25, ssgsea.norm = FALSE, min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "gsva_gaussian_mxdiffTRUE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "gsva_gaussian_mxdiffFALSE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = FALSE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "gsva_none_mxdiffTRUE.tsv"),
  quote(gsva(expr, gsets, method = "gsva", kcdf = "none", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "zscore.tsv"),
  quote(gsva(expr, gsets, method = "zscore", min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
run_fixture(F2, paste0(P, "plage.tsv"),
  quote(gsva(expr, gsets, method = "plage", min.sz = 1, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
# PLAGE without the size-1 set (what a caller with min.sz = 2 gets)
run_fixture(F2, paste0(P, "plage_minsz2.tsv"),
  quote(gsva(expr, gsets, method = "plage", min.sz = 2, max.sz = Inf, verbose = FALSE)), drop_failing = TRUE)
finish_folder(F2)

# ======================================================= 3. tcga_counts_small
F3 <- "tcga_counts_small"
dir.create(file.path(OUT, F3), showWarnings = FALSE)
src3 <- file.path(SH, "data/tcga_luad_star_counts_omicskit")
cnt <- read_matrix(file.path(src3, "expr.tsv.gz"))
stopifnot(identical(dim(cnt), c(51825L, 32L)), !anyNA(cnt), all(cnt == round(cnt)))
keep <- which(rowMeans(cnt) >= 10)             # file order
k <- floor(length(keep) / 1500)
sel <- keep[seq(1L, by = k, length.out = 1500L)]
C <- cnt[sel, ]
storage.mode(C) <- "integer"
write_matrix(C, file.path(OUT, F3, "expr_counts.tsv.gz"), integer = TRUE)
invisible(file.copy(file.path(src3, "samples.tsv"), file.path(OUT, F3, "samples.tsv"), overwrite = TRUE))
Sys.chmod(file.path(OUT, F3, "samples.tsv"), "0644")
counts <- read_matrix(file.path(OUT, F3, "expr_counts.tsv.gz"))
stopifnot(is.integer(counts), identical(dim(counts), c(1500L, 32L)))
# log2(count + 1) written with 17 significant digits and read back, so that the
# Gaussian reference does not depend on the log2() of a particular libm
write_matrix(log2(counts + 1), file.path(OUT, F3, "expr_log2p1.tsv.gz"))
logexpr <- read_matrix(file.path(OUT, F3, "expr_log2p1.tsv.gz"))
stopifnot(max(abs(logexpr - log2(counts + 1))) == 0)

hall <- read_gmt(file.path(SH, "reference/gene_lists/h.all.v7.0.symbols.gmt"))
hs <- lapply(hall, intersect, rownames(counts))
hs <- hs[lengths(hs) >= 5][1:10]               # first 10 hallmark sets (file order) with >= 5 genes
stopifnot(length(hs) == 10, !anyNA(names(hs)))
write_gmt(hs, file.path(OUT, F3, "genesets.gmt"),
          setNames(as.list(rep("MSigDB v7.0 hallmark (CC BY 4.0), intersected with the 1,500 kept genes", 10)), names(hs)))
gsets <- read_gmt(file.path(OUT, F3, "genesets.gmt"))
writeLines(c(
  paste0("n_genes_mean_count_ge_10\t", length(keep)),
  paste0("step_k\t", k),
  "selection\tkeep[seq(1, by = k, length.out = 1500)] where keep = which(rowMeans(counts) >= 10), file order",
  paste0("source_rows_in_expr_tsv_gz\t", paste(sel, collapse = ","))),
  file.path(OUT, F3, "derivation.txt"))

run_fixture(F3, paste0(P, "gsva_poisson_mxdiffTRUE.tsv"),
  quote(gsva(counts, gsets, method = "gsva", kcdf = "Poisson", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F3, paste0(P, "gsva_poisson_mxdiffFALSE.tsv"),
  quote(gsva(counts, gsets, method = "gsva", kcdf = "Poisson", mx.diff = FALSE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F3, paste0(P, "gsva_gaussian_log2p1_mxdiffTRUE.tsv"),
  quote(gsva(logexpr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = TRUE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
run_fixture(F3, paste0(P, "gsva_gaussian_log2p1_mxdiffFALSE.tsv"),
  quote(gsva(logexpr, gsets, method = "gsva", kcdf = "Gaussian", mx.diff = FALSE, abs.ranking = FALSE, tau = 1, min.sz = 1, max.sz = Inf, verbose = FALSE)))
finish_folder(F3)

message("done")
