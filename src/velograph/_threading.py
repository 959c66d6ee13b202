"""Ask numba for a fork-safe threading layer as early as possible (at ``import velograph``).

numba picks its threading layer on the first parallel call of *any* package in the
process (scanpy's neighbours, UMAP), and cannot switch afterwards. GNU OpenMP, its
first choice on Linux, kills a child forked after it started. So velograph asks for
numba's ``'forksafe'`` layer when it is imported, before other numba code can start
OpenMP, unless the user chose a layer (``NUMBA_THREADING_LAYER`` or
``numba.config.THREADING_LAYER``) or a layer already runs. Importing numba here costs
about half a second, once; scanpy and scVelo import it anyway.
"""

from __future__ import annotations

import os


def prefer_fork_safe_threading_layer() -> None:
    """Select numba's ``'forksafe'`` layer unless the user or earlier code already chose or started one."""
    import numba
    from numba.np.ufunc import parallel

    if "NUMBA_THREADING_LAYER" in os.environ or numba.config.THREADING_LAYER != "default":
        return
    if getattr(parallel, "_is_initialized", True):
        return
    numba.config.THREADING_LAYER = "forksafe"
