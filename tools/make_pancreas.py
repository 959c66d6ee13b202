"""Rebuild pancreas.h5ad from the R data file that ships in the SuperCell package.

Source: github GfellerLab/SuperCell, data/pancreas.rda (commit and blob: src/velograph/data/README.md), which holds
the spliced (emat) and unspliced (nmat) counts of the 3696 cells x 2000 genes of Bastidas-Ponce et
al. 2019 (GEO GSE132188) as distributed by scVelo, plus cell metadata with integer cluster codes.
The codes are mapped to scVelo's cluster names; the mapping was verified against the named clusters
of the 739-cell subsample in JEFworks-Lab/veloviz data/pancreas.rda (739 of 739 barcodes agree).

X is left empty to halve the file: set adata.X = adata.layers["spliced"].copy() after loading.

Usage: python tools/make_pancreas.py SUPERCELL_PANCREAS.rda src/velograph/data/pancreas.h5ad  (needs: pip install rdata)
The result must have the sha256 recorded in velograph.datasets.PANCREAS_SHA256; tests/test_datasets.py checks it.
"""
import sys
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import rdata
import scipy.sparse as sp

warnings.filterwarnings("ignore")
CLUSTERS = ["Ductal", "Ngn3 low EP", "Ngn3 high EP", "Pre-endocrine", "Beta", "Alpha", "Delta", "Epsilon"]
COARSE = ["Ductal", "Ngn3 low EP", "Ngn3 high EP", "Pre-endocrine", "Endocrine"]


def dgc(obj):
    """Genes x cells dgCMatrix -> cells x genes CSR of int32 counts, with (genes, cells) names."""
    a = obj.attributes if hasattr(obj, "attributes") else vars(obj)
    m = sp.csc_matrix((np.asarray(a["x"]), np.asarray(a["i"]), np.asarray(a["p"])), shape=tuple(a["Dim"]))
    assert np.all(m.data == np.round(m.data)), "counts must be integers"
    genes, cells = (np.asarray(x).astype(str) for x in a["Dimnames"])
    return m.T.tocsr().astype(np.int32), genes, cells


src, out = sys.argv[1], sys.argv[2]
d = rdata.conversion.convert(rdata.parser.parse_file(src))["pancreas"]
S, genes, cells = dgc(d["emat"])
U, genes_u, cells_u = dgc(d["nmat"])
assert (genes == genes_u).all() and (cells == cells_u).all()
meta = d["meta"].loc[cells]
obs = pd.DataFrame(index=pd.Index(cells, name="barcode"))
obs["clusters"] = pd.Categorical.from_codes(meta["clusters"].astype(int), CLUSTERS)
obs["clusters_coarse"] = pd.Categorical.from_codes(meta["clusters.coarse"].astype(int), COARSE)
obs["S_score"] = meta["S.score"].astype(np.float32).values
obs["G2M_score"] = meta["G2M.score"].astype(np.float32).values
adata = ad.AnnData(X=None, obs=obs, var=pd.DataFrame(index=pd.Index(genes, name="gene")),
                   layers={"spliced": S, "unspliced": U})
adata.uns["source"] = {
    "description": "Mouse pancreatic endocrinogenesis, embryonic day 15.5 (Bastidas-Ponce et al. 2019, "
                   "Development 146:dev173849), 10x Chromium; spliced/unspliced counts as distributed by scVelo.",
    "geo": "GSE132188",
    "obtained_from": "GfellerLab/SuperCell data/pancreas.rda (2000 genes)",
}
adata.write_h5ad(out, compression="gzip", compression_opts=9)
print(adata)
