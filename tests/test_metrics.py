import pytest

from claimbench.harness.errors import ConfigError, UnknownNameError
from claimbench.harness.metrics import make_metric
from claimbench.harness.metrics.qa import normalize_answer


@pytest.mark.parametrize("text,norm", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  an   apple, a pear ", "apple pear"),
    ("U.S.A.", "usa"),
    ("Theory of the case", "theory of case"),  # 'the' only as a whole word
])
def test_squad_normalisation(text, norm):
    assert normalize_answer(text) == norm


def test_exact_match_accuracy_and_field_mean():
    em = make_metric("exact_match")
    assert [em.update({"prediction": p, "references": r}) for p, r in
            [("The Beatles", ["beatles"]), ("Paris.", ["Lyon", "paris"]), ("no", ["yes"])]] == [1, 1, 0]
    v = em.compute()
    assert v.value == pytest.approx(2 / 3) and v.n == 3 and v.higher_is_better
    acc = make_metric("accuracy")
    assert acc.update({"prediction": "B", "references": "B"}) == 1
    assert acc.update({"prediction": "b", "references": "B"}) == 0
    steps = make_metric("mean:field=steps,higher_is_better=false")
    assert steps.name == "steps" and steps.higher_is_better is False
    steps.update({"fields": {"steps": 2}})
    assert steps.compute().value == 2
    with pytest.raises(ConfigError, match="did not set"):
        steps.update({"fields": {}})


def test_unknown_metric_and_empty_compute():
    with pytest.raises(UnknownNameError, match="Did you mean 'exact_match'"):
        make_metric("exact_mach")
    with pytest.raises(ConfigError, match="no sample"):
        make_metric("accuracy").compute()
