"""The geometry shared by the annotation rules and `fracqa diff`: the assignment of an image's
instances in one format (or version) to those in another."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from fracqa.geometry import SMALL_ASSIGNMENT, _assignment, match


@pytest.mark.parametrize("maximize", [False, True])
def test_every_assignment_is_as_good_as_scipys(maximize):
    """Tried one by one for an image's few instances, by scipy's solver beyond: either way the
    best total, one pair per instance of the shorter list, in order of rows."""
    rng = np.random.default_rng(7)
    for _ in range(400):
        rows, columns = rng.integers(1, 9, 2)
        costs = rng.random((rows, columns))
        found = _assignment(costs, maximize=maximize)
        best = linear_sum_assignment(costs, maximize=maximize)
        assert found == sorted(found) and len(found) == min(rows, columns)
        assert len({i for i, _ in found}) == len({j for _, j in found}) == len(found)
        assert sum(costs[i, j] for i, j in found) == pytest.approx(costs[best].sum())


def test_the_few_instances_of_an_image_need_no_solver():
    assert SMALL_ASSIGNMENT >= 720  # six instances against six, tried one by one
    boxes = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 0, 50, 10]]
    moved = [boxes[2], boxes[0], [21, 21, 31, 31]]
    assert [(i, j) for i, j, _ in match(boxes, moved)] == [(0, 1), (1, 2), (2, 0)]
