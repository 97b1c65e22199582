"""The Indeks Kepuasan Masyarakat of PermenPAN-RB 14/2017, worked by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.reports.ikm import grade_of, ikm, minimum_sample


def test_the_ikm_of_four_answers_worked_by_hand():
    rows = [
        [4, 3, 3, 4, 3, 4, 4, 3, 2],
        [3, 3, 2, 4, 3, 4, 3, 3, 2],
        [4, 2, 3, 4, 4, 3, 4, 3, 3],
        [3, 4, 3, None, 3, 4, 4, 2, 2],  # U4 (cost) skipped
    ]
    result = ikm(rows)
    # NRR per element = sum / answered:
    # U1 14/4 = 3.5, U2 12/4 = 3.0, U3 11/4 = 2.75, U4 12/3 = 4.0, U5 13/4 = 3.25,
    # U6 15/4 = 3.75, U7 15/4 = 3.75, U8 11/4 = 2.75, U9 9/4 = 2.25
    assert result.element_nrr == (3.5, 3.0, 2.75, 4.0, 3.25, 3.75, 3.75, 2.75, 2.25)
    # weighted (× 1/9) and summed: 29.0 / 9 = 3.2222; × 25 = 80.555… → 80.56: grade B (Baik)
    assert result.value == pytest.approx(3.2222, abs=1e-4)
    assert result.index == 80.56 and result.grade == "B"
    assert result.weakest == 9  # U9 has the lowest NRR (2.25)
    assert result.respondents == 4


def test_all_fours_are_one_hundred_and_all_ones_twenty_five():
    assert ikm([[4] * 9] * 3).index == 100.0
    assert ikm([[1] * 9]).index == 25.0


def test_an_element_nobody_answered_leaves_the_others_weighted_equally():
    result = ikm([[4, 4, 4, 4, 4, 4, 4, 4, None], [2, 2, 2, 2, 2, 2, 2, 2, None]])
    assert result.element_nrr[8] is None and result.weighted[8] is None
    assert result.index == 75.0  # 3.0 everywhere else, weight 1/8 each


def test_no_answers_give_no_index():
    result = ikm([])
    assert not result.answered and result.grade == "" and result.respondents == 0


@pytest.mark.parametrize(
    ("index", "grade"),
    [
        (100.0, "A"), (88.31, "A"), (88.30, "B"), (88.305, "A"), (76.61, "B"), (76.60, "C"),
        (65.00, "C"), (64.99, "D"), (25.0, "D"),
    ],
)  # fmt: skip
def test_each_grade_boundary(index, grade):
    assert grade_of(index)[0] == grade


def test_the_grade_words_are_the_regulations():
    from django.utils import translation

    with translation.override("id"):
        assert [grade_of(i)[1] for i in (90, 80, 70, 50)] == [
            "Sangat Baik", "Baik", "Kurang Baik", "Tidak Baik",
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("population", "sample"),
    [(10, 10), (100, 80), (500, 217), (1000, 278), (10_000, 370), (1_000_000, 384), (0, 0)],
)
def test_the_minimum_sample_is_krejcie_morgans(population, sample):
    assert minimum_sample(population) == sample


def test_an_answer_outside_one_to_four_is_refused():
    with pytest.raises(ValueError, match="U3"):
        ikm([[4, 4, 5, 4, 4, 4, 4, 4, 4]])


answers = st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=9, max_size=9)


@given(st.lists(answers, max_size=40))
def test_property_the_ikm_stays_on_its_scale_and_matches_its_grade(rows):
    result = ikm(rows)
    if not result.answered:
        assert all(all(v is None for v in row) for row in rows)
        return
    assert 25.0 <= result.index <= 100.0
    assert result.grade == grade_of(result.index)[0]
    known = [v for v in result.element_nrr if v is not None]
    assert min(known) * 25 - 0.01 <= result.index <= max(known) * 25 + 0.01
    assert result.element_nrr[result.weakest - 1] == min(known)


@given(st.lists(answers, min_size=1, max_size=20), st.randoms())
def test_property_the_order_of_answers_does_not_matter(rows, random):
    shuffled = list(rows)
    random.shuffle(shuffled)
    assert ikm(rows).index == ikm(shuffled).index


@given(st.integers(1, 5_000_000))
def test_property_the_sample_never_exceeds_the_population_nor_384(population):
    sample = minimum_sample(population)
    assert 1 <= sample <= min(population, 384)
