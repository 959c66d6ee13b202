"""Serve MathJax 3 from the built book instead of a CDN, so math renders offline.

The MathJax files come from the PyPI package ``django-static-mathjax`` (MathJax
3.2.2, Apache-2.0; it needs no Django to be installed). Its ``es5`` bundle is
copied into ``_static/mathjax`` and Sphinx's ``mathjax_path`` points there.
"""

import shutil
from pathlib import Path


def _use_local_mathjax(app, config):
    import mathjax  # the django-static-mathjax package

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    stage = Path(app.outdir).parent / "_mathjax_static"
    target = stage / "mathjax"
    if not (target / "tex-mml-chtml.js").exists():
        shutil.rmtree(stage, ignore_errors=True)
        shutil.copytree(es5, target)
    config.html_static_path = list(config.html_static_path) + [str(stage)]
    config.mathjax_path = "mathjax/tex-mml-chtml.js"


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
