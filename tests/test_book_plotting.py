"""velograph_book.plotting: every figure draws, with a title and labelled axes (smoke tests)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from velograph_book import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def toy_embedding(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    arrows = rng.normal(size=(n, 2))
    clusters = np.where(np.arange(n) < n // 2, "early", "late")
    return X, arrows, clusters


def labelled(ax, title=None):
    """The axes' title (or the given one) and both axis labels are non-empty."""
    assert ax.get_xlabel() and ax.get_ylabel(), (ax.get_xlabel(), ax.get_ylabel())
    assert ax.get_title(), "no title"
    if title is not None:
        assert ax.get_title() == title


def test_grid_axes_helper():
    ax = plotting._axes(figsize=(3.0, 2.0))
    assert ax.figure.get_size_inches() == pytest.approx([3.0, 2.0])
    ax.figure.canvas.draw()
    assert ax.xaxis.get_gridlines()[0].get_visible()  # the book's style: a light grid


def test_sigma_sweep():
    similarities = np.array([0.9, 0.1, -0.8])
    sigmas = np.logspace(-1, 1, 5)
    probabilities = np.full((5, 3), 1 / 3)
    ax = plotting.sigma_sweep(similarities, sigmas, probabilities)
    labelled(ax)
    assert ax.get_xscale() == "log"
    assert len(ax.get_lines()) == 3 + 2  # one line per neighbour, the uniform level and the default sigma


def test_quiver_panels():
    X, arrows, _ = toy_embedding()
    fig = plotting.quiver_panels(X, [arrows, -arrows], ["left", "right"], highlight=0, suptitle="two fields")
    assert len(fig.axes) == 2
    for ax, title in zip(fig.axes, ["left", "right"], strict=True):
        labelled(ax, title)
    assert fig.get_suptitle() == "two fields"


def test_embedding_by_cluster_counts_cells_in_the_legend():
    X, _, clusters = toy_embedding()
    ax = plotting.embedding_by_cluster(X, clusters, title="cells")
    labelled(ax, "cells")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["early (12)", "late (12)"]


def test_neighbor_similarities():
    X, _, _ = toy_embedding()
    ax = plotting.neighbor_similarities(X, 0, np.array([1, 2, 3]), np.array([0.5, -0.2, 0.1]))
    labelled(ax, "neighbours of cell 0")


def test_entropy_against_sigma():
    ax = plotting.entropy_against_sigma([0.01, 0.1, 1.0], [0.1, 1.0, 2.0], np.log(10))
    labelled(ax)
    assert ax.get_ylabel() == "row entropy (nats)"


def test_arrows_on_embedding():
    X, arrows, clusters = toy_embedding()
    fig = plotting.arrows_on_embedding(X, clusters, [arrows, 2 * arrows], ["a", "b"], every=2, suptitle="fields")
    for ax, title in zip(fig.axes, ["a", "b"], strict=True):
        labelled(ax, title)


def test_baseline_histogram_compare_values_and_histogram():
    rng = np.random.default_rng(3)
    labelled(plotting.baseline_histogram(rng.uniform(0, 1, 20), 0.9))
    a = rng.normal(size=50)
    labelled(plotting.compare_values(a, a + 0.1, xlabel="x", ylabel="y", title="paired"), "paired")
    values = np.r_[rng.normal(size=40), np.nan]
    ax = plotting.histogram(values, xlabel="value", title="spread", marks={"median": 0.0})
    labelled(ax, "spread")
    assert sum(p.get_height() for p in ax.patches) == 40  # the NaN is left out
