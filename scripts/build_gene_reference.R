#!/usr/bin/env Rscript
# Build genesets/gene_reference.tsv.gz, rrscore's bundled human gene-ID table.
#
# Sources (Debian packages, no network access needed):
#   * r-bioc-org.hs.eg.db          NCBI Gene data (symbols, aliases, gene type,
#                                  full name, NCBI's Ensembl cross-references)
#   * r-bioc-tcgabiolinksgui.data  GENCODE v36 gene annotation
#                                  (data/gencode.v36.annotation.genes.rda)
#
# Usage (from the repository root):
#   Rscript scripts/build_gene_reference.R [OUTPUT]
# OUTPUT defaults to genesets/gene_reference.tsv.gz.  The output is
# deterministic: the same package versions give a byte-identical file.
# Needs the R packages org.Hs.eg.db, AnnotationDbi and S4Vectors (pulled in by
# the Debian packages above); GenomicRanges is not needed.
#
# See genesets/gene_reference.README.md for the columns and the rules applied.

suppressPackageStartupMessages({
  library(AnnotationDbi)
  library(S4Vectors)
  library(org.Hs.eg.db)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))

args <- commandArgs(trailingOnly = TRUE)
out_path <- if (length(args) >= 1) args[[1]] else "genesets/gene_reference.tsv.gz"

# NCBI gene types kept in the table: protein-coding genes and non-coding RNA
# genes (NCBI type "ncRNA" covers lncRNAs and miRNA genes; the small-RNA types
# are kept too).  tRNA, pseudo, biological-region, other and unknown are left
# out.  Ambiguity is nevertheless computed against ALL NCBI genes.
KEEP_TYPES <- c("protein-coding", "ncRNA", "snRNA", "snoRNA", "rRNA", "scRNA")

csort <- function(x) sort(unique(x), method = "radix")   # C-locale order
join <- function(x) if (length(x)) paste(csort(x), collapse = ";") else ""

# ---------------------------------------------------------------- NCBI Gene
sym <- toTable(org.Hs.egSYMBOL)            # gene_id, symbol
typ <- toTable(org.Hs.egGENETYPE)          # gene_id, gene_type
nam <- toTable(org.Hs.egGENENAME)          # gene_id, gene_name
ali <- toTable(org.Hs.egALIAS2EG)          # gene_id, alias_symbol (incl. symbol)
ens <- toTable(org.Hs.egENSEMBL)           # gene_id, ensembl_id

genes <- data.frame(entrez = sym$gene_id, symbol = sym$symbol,
                    stringsAsFactors = FALSE)
genes$gene_type <- typ$gene_type[match(genes$entrez, typ$gene_id)]
genes$gene_type[is.na(genes$gene_type)] <- "unknown"
genes$name <- nam$gene_name[match(genes$entrez, nam$gene_id)]
genes$name[is.na(genes$name)] <- ""

# ---------------------------------------------------------------- GENCODE v36
gc_env <- new.env()
load(system.file("data", "gencode.v36.annotation.genes.rda",
                 package = "TCGAbiolinksGUI.data"), envir = gc_env)
gc <- as.data.frame(attr(gc_env$gencode.v36.annotation.genes, "elementMetadata"))
gc <- gc[!grepl("_PAR_Y$", gc$gene_id), c("gene_id", "gene_name", "gene_type")]
gc$ens <- sub("\\.[0-9]+$", "", gc$gene_id)
gc <- gc[!duplicated(gc$ens), ]
gc_name_count <- table(gc$gene_name)

# ------------------------------------------------------- Ensembl assignment
# 1. NCBI's own Ensembl cross-references (org.Hs.egENSEMBL).
# 2. An Ensembl ID that NCBI links to several Entrez genes (read-throughs,
#    LOC records ...) is kept only on the gene whose symbol, or one of whose
#    NCBI aliases, equals the GENCODE v36 gene_name of that ID; if that does not
#    single out one gene, the ID goes to `ambiguous_ensembl` of every candidate.
# 3. GENCODE v36 genes whose ID NCBI does not list at all are added when their
#    gene_name is unique in GENCODE v36 and equals exactly one NCBI symbol.
ens_assign <- data.frame(entrez = ens$gene_id, ensembl = ens$ensembl_id,
                         stringsAsFactors = FALSE)
multi <- unique(ens_assign$ensembl[duplicated(ens_assign$ensembl)])
ali_key <- paste(ali$gene_id, toupper(ali$alias_symbol))
amb_ens <- ens_assign[0, ]
resolved <- ens_assign[!(ens_assign$ensembl %in% multi), ]
n_multi_resolved <- 0L
for (id in csort(multi)) {
  cand <- ens_assign$entrez[ens_assign$ensembl == id]
  gname <- gc$gene_name[match(id, gc$ens)]
  hit <- character(0)
  if (!is.na(gname)) {
    hit <- cand[genes$symbol[match(cand, genes$entrez)] == gname]
    if (length(hit) != 1)
      hit <- cand[paste(cand, toupper(gname)) %in% ali_key]
  }
  if (length(hit) == 1) {
    resolved <- rbind(resolved, data.frame(entrez = hit, ensembl = id))
    n_multi_resolved <- n_multi_resolved + 1L
  } else {
    amb_ens <- rbind(amb_ens, data.frame(entrez = cand, ensembl = id))
  }
}
n_gc_verified <- sum(gc$ens %in% ens$ensembl_id)
add <- gc[!(gc$ens %in% ens$ensembl_id) &
            gc$gene_name %in% names(gc_name_count)[gc_name_count == 1], ]
add$entrez <- genes$entrez[match(add$gene_name, genes$symbol)]
sym_count <- table(genes$symbol)
add <- add[!is.na(add$entrez) & sym_count[add$gene_name] == 1, ]
resolved <- rbind(resolved, data.frame(entrez = add$entrez, ensembl = add$ens))

# GENCODE v36 gene_type for each gene (via its assigned Ensembl IDs).
gtype <- gc$gene_type[match(resolved$ensembl, gc$ens)]
gtype_by_gene <- tapply(gtype[!is.na(gtype)], resolved$entrez[!is.na(gtype)],
                        function(x) join(x))

# --------------------------------------------------------------- aliases
# NCBI aliases (ALIAS2EG holds the symbol itself too: dropped), plus the
# GENCODE v36 gene_name (the HGNC symbol of late 2020) of an Ensembl ID that
# belongs to exactly one gene, where it differs from NCBI's current symbol.
al <- data.frame(entrez = ali$gene_id, alias = ali$alias_symbol,
                 stringsAsFactors = FALSE)
one_gene <- resolved[!(resolved$ensembl %in% amb_ens$ensembl), ]
gcn <- data.frame(entrez = one_gene$entrez,
                  alias = gc$gene_name[match(one_gene$ensembl, gc$ens)],
                  stringsAsFactors = FALSE)
gcn <- gcn[!is.na(gcn$alias), ]
al <- rbind(al, gcn)
al$own_symbol <- genes$symbol[match(al$entrez, genes$entrez)]
al <- al[!is.na(al$own_symbol) & toupper(al$alias) != toupper(al$own_symbol), ]
al <- al[!duplicated(paste(al$entrez, al$alias)), ]
n_gencode_alias_added <- sum(!(paste(gcn$entrez, toupper(gcn$alias)) %in% ali_key) &
                               toupper(gcn$alias) !=
                                 toupper(genes$symbol[match(gcn$entrez, genes$entrez)]))

# Ambiguity, case-insensitive, over ALL NCBI genes of every type: an alias is
# ambiguous if it (upper-cased) is an alias of more than one gene, or is the
# approved symbol of any gene.
akey <- toupper(al$alias)
genes_per_alias <- tapply(al$entrez, akey, function(x) length(unique(x)))
al$ambiguous <- genes_per_alias[akey] > 1 | akey %in% toupper(genes$symbol)

# ----------------------------------------------------------------- assemble
keep <- genes[genes$gene_type %in% KEEP_TYPES, ]
keep <- keep[order(as.integer(keep$entrez)), ]
split_join <- function(values, by, ids) {
  s <- split(values, by)
  vapply(ids, function(i) join(s[[i]]), character(1), USE.NAMES = FALSE)
}
out <- data.frame(
  symbol = keep$symbol,
  entrez = keep$entrez,
  ensembl = split_join(resolved$ensembl, resolved$entrez, keep$entrez),
  aliases = split_join(al$alias[!al$ambiguous], al$entrez[!al$ambiguous], keep$entrez),
  ambiguous_aliases = split_join(al$alias[al$ambiguous], al$entrez[al$ambiguous], keep$entrez),
  ambiguous_ensembl = split_join(amb_ens$ensembl, amb_ens$entrez, keep$entrez),
  gene_type = keep$gene_type,
  gencode_type = ifelse(is.na(gtype_by_gene[keep$entrez]), "",
                        gtype_by_gene[keep$entrez]),
  name = keep$name,
  stringsAsFactors = FALSE)
stopifnot(!anyDuplicated(out$symbol), !anyDuplicated(out$entrez),
          !any(grepl("[\t\n]", as.matrix(out))))

dir.create(dirname(out_path), showWarnings = FALSE, recursive = TRUE)
con <- gzfile(out_path, open = "wb", compression = 9)
writeLines(paste(colnames(out), collapse = "\t"), con, useBytes = TRUE)
writeLines(do.call(paste, c(unname(as.list(out)), sep = "\t")), con, useBytes = TRUE)
close(con)

md <- metadata(org.Hs.eg.db)
mdv <- function(k) md$value[md$name == k]
cat(sprintf("org.Hs.eg.db %s (Entrez Gene %s, Ensembl %s); TCGAbiolinksGUI.data %s (GENCODE v36)\n",
            as.character(packageVersion("org.Hs.eg.db")), mdv("EGSOURCEDATE"),
            mdv("ENSOURCEDATE"), as.character(packageVersion("TCGAbiolinksGUI.data"))))
cat(sprintf("rows: %d  (%s)\n", nrow(out),
            paste(names(table(out$gene_type)), table(out$gene_type), sep = "=", collapse = ", ")))
cat(sprintf("GENCODE v36 gene IDs (PAR_Y dropped): %d; also listed by NCBI: %d; added by unique name: %d (to kept genes: %d)\n",
            nrow(gc), n_gc_verified, nrow(add), sum(add$entrez %in% keep$entrez)))
cat(sprintf("Ensembl IDs NCBI links to >1 gene: %d; resolved by GENCODE name: %d; left ambiguous: %d\n",
            length(multi), n_multi_resolved, length(unique(amb_ens$ensembl))))
cat(sprintf("rows with >=1 Ensembl ID: %d; aliases (kept rows): unambiguous %d, ambiguous %d; GENCODE v36 names added as aliases: %d\n",
            sum(out$ensembl != ""),
            sum(!al$ambiguous & al$entrez %in% keep$entrez),
            sum(al$ambiguous & al$entrez %in% keep$entrez), n_gencode_alias_added))
cat("written:", out_path, "\n")
