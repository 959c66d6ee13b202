"""Offer every executed chapter as a Jupyter notebook (.ipynb) download on its page.

The theme's download menu offers the MyST source (.md). Readers who want a plain
notebook get the executed one that MyST-NB wrote to ``_build/jupyter_execute``: it
is copied to ``_notebooks/<chapter>.ipynb`` in the HTML output and linked at the top
of the chapter page.
"""

import shutil
from pathlib import Path


def _add_link(app, pagename, templatename, context, doctree):
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if doctree is None or not executed.exists() or "body" not in context:
        return
    target = Path(app.outdir) / "_notebooks" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    link = (f'<p class="notebook-download"><a href="_notebooks/{pagename}.ipynb" download>'
            "Download this chapter as a Jupyter notebook (.ipynb)</a>, or its MyST source from "
            "the download menu above.</p>")
    context["body"] = link + context["body"]


def setup(app):
    app.connect("html-page-context", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
