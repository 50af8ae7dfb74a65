# Reference RSI for tests/data/radiogx_small, computed by the authors' own function
# predict.u133.rsi.rank() from steveneschrich/rsi-rnaseq (MIT), file src/U133Predictor.R,
# as last changed in commit 674ef6e97f6620f2bf70447ba3f2d66b6645538d (unchanged at HEAD b9dc593).
# The function keys the 10 genes by their U133 probe sets, so the symbol rows are renamed to
# the probe sets first. Usage: Rscript make_reference.R /path/to/U133Predictor.R
args <- commandArgs(trailingOnly = TRUE)
source(args[1])
x <- as.matrix(read.table(gzfile("expr.tsv.gz"), header = TRUE, row.names = 1, sep = "\t",
                          check.names = FALSE, comment.char = "", quote = ""))
probe <- c(AR = "211110_s_at", JUN = "201466_s_at", STAT1 = "AFFX-HUMISGF3A/M97935_MA_at",
           PRKCB = "207957_s_at", RELA = "201783_s_at", ABL1 = "202123_s_at",
           SUMO1 = "208762_at", PAK2 = "205962_at", HDAC1 = "201209_at", IRF1 = "202531_at")
rownames(x)[match(names(probe), rownames(x))] <- probe
res <- predict.u133.rsi.rank(x)
write.table(data.frame(sample = res$Patient.ID, RSI = sprintf("%.17g", res$RSI.Rank)),
            "reference_rsi_U133Predictor.tsv", sep = "\t", quote = FALSE, row.names = FALSE)
