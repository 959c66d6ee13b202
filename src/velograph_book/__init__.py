"""velograph_book: the helpers of the velograph book, beside the library.

Printing at fixed precision (:mod:`~velograph_book.display`), figures
(:mod:`~velograph_book.plotting`), toy inputs (:mod:`~velograph_book.toy`), the prepared
pancreas inputs (:mod:`~velograph_book.prepared`), and the chapters' comparisons, null
models and diagnostics. Installed for the book and the tests, never part of the
``velograph`` wheel. It uses only the library's public API; the library never imports it.

The rule for where a function goes: would someone analysing their own data call it
without reading the book? Arrays in: ``velograph``; AnnData in: ``velograph.tl``;
otherwise here.
"""

from velograph import __version__ as __version__  # one version source for both packages

from .display import fmt, rounding_margin, show, table

__all__ = ["fmt", "rounding_margin", "show", "table"]


def __getattr__(name):
    # Every module of the package loads on first use (vb.plotting, vb.prepared, ...): the
    # heavier ones import matplotlib, anndata or scVelo.
    import importlib
    import importlib.util

    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'velograph_book' has no attribute {name!r}")
