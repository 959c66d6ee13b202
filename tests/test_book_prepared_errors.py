"""The prepared loader pointed at the wrong file: an error naming what is missing, not a bare KeyError."""

from __future__ import annotations

import anndata as ad
import pytest

from velograph.datasets import _shipped as shipped_raw
from velograph_book.prepared import _shipped, pancreas_prepared


def test_the_raw_file_is_named_as_such():
    with pytest.raises(ValueError, match=r"is not a prepared pancreas file: it has no layers\['Ms'\].*"
                                         r"looks like the raw counts"):
        pancreas_prepared(path=shipped_raw("pancreas.h5ad"), verify=False)


@pytest.mark.parametrize("where,key", [("var", "stochastic_velocity_gamma"), ("uns", "velocity_params_dynamical"),
                                       ("layers", "velocity_dynamical")])
def test_a_missing_entry_is_named(tmp_path, where, key):
    adata = ad.read_h5ad(_shipped("pancreas_prepared.h5ad"))
    del getattr(adata, where)[key]
    path = tmp_path / "incomplete.h5ad"
    adata.write_h5ad(path)
    with pytest.raises(ValueError, match=rf"is not a prepared pancreas file: it has no {where}\['{key}'\]\. Remake"):
        pancreas_prepared(path=path, verify=False)
