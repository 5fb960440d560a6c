"""QA answer matching (SQuAD v1.1 semantics plus numbers) and the compositionality gap, on hand-computed cases."""
import numpy as np
import pytest

from claimbench.harness.metrics import make_metric
from claimbench.harness.metrics.qa import copies_shown_answer, cover_match, exact_match, normalize_answer, parse_number, token_f1
from claimbench.harness.stats import ratio_bootstrap_ci
from claimbench.tasks.multihop.compositionality import CompositionalityGap, gap_counts


@pytest.mark.parametrize("pred,golds,em", [
    ("The Beatles", ["Beatles"], True),              # article dropped
    ("beatles!", "The Beatles", True),               # punctuation dropped
    ("An apple", ["apple pie"], False),
    ("1,000", [1000], True),                         # numbers compare as numbers
    ("33.", [33], True),
    ("004", ["4"], True),
    ("+93", ["+93"], True),
    ("33.5", [33], False),
    ("Tom Watson", ["Jack Nicklaus", "tom  watson"], True),  # any of a list of accepted answers
    ("", ["x"], False),
])
def test_exact_match_cases(pred, golds, em):
    assert exact_match(pred, golds) is em


def test_parse_number():
    assert parse_number("1,234.5") == 1234.5 and parse_number(7) == 7.0
    assert parse_number("12a") is None and parse_number("1,23") is None and parse_number(True) is None


def test_token_f1_matches_the_squad_script_arithmetic():
    # pred tokens: [eiffel, tower, paris], gold: [eiffel, tower] -> P=2/3, R=1, F1=0.8
    assert token_f1("The Eiffel Tower, Paris", ["Eiffel Tower"]) == pytest.approx(0.8)
    assert token_f1("Paris", ["London", "paris"]) == 1.0
    assert token_f1("", [""]) == 1.0 and token_f1("a", ["b"]) == 0.0
    assert normalize_answer("a an the") == ""


def test_cover_match():
    assert cover_match("He was born in Paris, France.", ["Paris"])
    assert not cover_match("Parisian food", ["Paris"])           # whole phrase only
    assert cover_match("It was founded in 1,812 or so", [1812])
    assert not cover_match("in 18120", [1812])


@pytest.mark.parametrize("pred,gold", [
    ("May 26, 1827, under the reign of", "1827"),      # a number followed by punctuation
    ("It ended in 1827.", 1827),
    ("born 26,1827 here", "1827"),
    ("Titan IIIE/Centaur", "Titan IIIE"),             # punctuation separates words, never glues them
    ("a Jewish-American writer", "Jewish"),
    ("Eugene O’Neill", "O'Neill"),                      # curly apostrophe = straight
    ("“Hamlet” by Shakespeare", '"Hamlet"'),           # curly quotes = straight
    ("the years 1939–1945", "1945"),                    # en dash = hyphen, the year is not negative
])
def test_cover_match_finds_answers_next_to_punctuation(pred, gold):
    assert cover_match(pred, [gold])


@pytest.mark.parametrize("pred,gold", [
    ("in 18120", "1827"), ("Titanic", "Titan"), ("Jewishness", "Jewish"), ("A380", "380"), ("3.1827", "1827"),
])
def test_cover_match_still_needs_a_whole_phrase(pred, gold):
    assert not cover_match(pred, [gold])


def test_curly_quotes_normalise_like_straight_ones():
    assert normalize_answer("O’Neill’s “play”") == normalize_answer("O'Neill's \"play\"") == "oneills play"
    assert exact_match("O’Neill", ["O'Neill"]) and token_f1("Eugene O’Neill", ["O'Neill"]) == pytest.approx(2 / 3)


@pytest.mark.parametrize("pred,gold,f1", [
    ("18.0", 18, 1.0),                        # EM's number rule: F1 is never below EM
    ("1,000", "1000", 1.0),
    ("about 18.0 years", "18 years", 0.8),    # numeric tokens compare by value: P 2/3, R 1
    ("004 points", "4 points", 1.0),
    ("18.5", 18, 0.0),
])
def test_token_f1_compares_numbers_as_em_does(pred, gold, f1):
    assert token_f1(pred, [gold]) == pytest.approx(f1)
    if exact_match(pred, [gold]):
        assert token_f1(pred, [gold]) == 1.0


def test_copies_shown_answer():
    assert copies_shown_answer("Kabul.", ["Managua", "kabul"]) and not copies_shown_answer("Tirana", ["Kabul"])
    assert not copies_shown_answer("", [""]) and not copies_shown_answer("x", [])


def _sample(q1, q2, hop, cat):
    return {"fields": {"q1_correct": q1, "q2_correct": q2, "hop_correct": hop, "category": cat}}


def test_gap_and_three_way_breakdown_by_hand():
    rows = [(1, 1, 1, "a"), (1, 1, 0, "a"), (1, 1, 0, "b"), (1, 0, 1, "b"), (0, 0, 0, "b"), (1, 1, 1, "b")]
    m = CompositionalityGap("compositionality_gap", CompositionalityGap.Options(), seed=0)
    for r in rows:
        m.update(_sample(*r))
    v = m.compute()
    # both sub-questions right: rows 0,1,2,5 (4); of those 2-hop wrong: rows 1,2 -> gap 2/4
    assert v.value == 0.5 and v.n == 4 and v.higher_is_better is False
    b = v.extra["breakdown"]
    assert (b["both_subq_and_2hop_right"], b["both_subq_right_2hop_wrong"], b["a_subq_wrong"]) == (2, 2, 2)
    assert v.extra["by_category"]["a"]["gap"] == 0.5 and v.extra["by_category"]["b"]["gap"] == 0.5
    assert v.extra["by_category"]["b"]["n"] == 4
    assert v.ci[0] <= 0.5 <= v.ci[1]


def test_gap_undefined_without_any_pair_right():
    counts = gap_counts(np.array([True, False]), np.array([False, False]), np.array([True, False]))
    assert counts["gap"] is None and counts["a_subq_wrong"] == 2
    assert ratio_bootstrap_ci([0.0, 0.0], [0.0, 0.0]) is None


def test_ratio_bootstrap_ci_brackets_the_ratio():
    rng = np.random.default_rng(0)
    den = (rng.random(400) < 0.5).astype(float)
    num = den * (rng.random(400) < 0.3)
    lo, hi = ratio_bootstrap_ci(num, den, seed=1)
    assert lo < num.sum() / den.sum() < hi and hi - lo < 0.2


def test_metrics_are_registered():
    for name in ("token_f1", "cover_em", "compositionality_gap"):
        make_metric(name)


def test_gap_where_keeps_only_flagged_samples():
    rows = [(1, 1, 1, "a", 1), (1, 1, 0, "a", 0), (1, 1, 0, "b", 1), (1, 1, 1, "b", 1)]
    m = make_metric("compositionality_gap:where=leak_free")
    assert m.name == "compositionality_gap[leak_free]"
    for q1, q2, hop, cat, flag in rows:
        m.update({"fields": {**_sample(q1, q2, hop, cat)["fields"], "leak_free": flag}})
    v = m.compute()
    assert v.value == pytest.approx(1 / 3) and v.n == 3 and v.extra["breakdown"]["n"] == 3
    empty = make_metric("compositionality_gap:where=leak_free")
    empty.update({"fields": {**_sample(1, 1, 0, "a")["fields"], "leak_free": 0}})
    assert empty.compute().value is None


@pytest.mark.parametrize("pred,gold", [
    ("So the final answer is: 4884 m", "4,884 m"),   # a thousands separator beside a unit
    ("4884 m", "4,884 m"),
    ("about 1,000.0 people", "1000 people"),
    ("He ran 5km", "5"),                              # a unit glued to its number: the number counts
    ("He ran 5km", "5 km"),
])
def test_one_number_rule_for_em_f1_and_cover(pred, gold):
    assert cover_match(pred, [gold])
    if exact_match(pred, [gold]):
        assert token_f1(pred, [gold]) == 1.0


@pytest.mark.parametrize("pred,gold", [
    ("34", -34), ("-34", "34"), ("3.5", "35"), ("-3.5", "3.5"), ("0.5", "05"),
])
def test_sign_and_decimal_point_are_part_of_a_number(pred, gold):
    assert not exact_match(pred, [gold])
    assert token_f1(pred, [gold]) == 0.0
    assert not cover_match(pred, [gold])


@pytest.mark.parametrize("pred,gold", [("the 1990s", 1990), ("in the 1990s", "1990"), ("100th in the world", "100"),
                                       ("A380", 380), ("3x", 3)])
def test_a_number_glued_to_letters_is_not_that_number(pred, gold):
    assert not cover_match(pred, [gold]) and not exact_match(pred, [gold]) and token_f1(pred, [gold]) == 0.0


def test_em_and_f1_agree_on_numbers_in_text():
    assert exact_match("4884 m", ["4,884 m"]) and token_f1("4884 m", ["4,884 m"]) == 1.0
    assert token_f1("It is 3.5 m", ["35 m"]) == pytest.approx(1 / 3)  # only "m" is shared: P 1/4, R 1/2
