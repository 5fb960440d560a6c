import pytest

from claimbench.harness import registry
from claimbench.harness.errors import RegistryCollisionError, UnknownNameError
from claimbench.harness.registry import Registry


def test_register_get_and_lazy_import():
    reg = Registry("widget")
    reg.register("json-dumps", "json:dumps")
    assert "json-dumps" in reg
    import json
    assert reg.get("json-dumps") is json.dumps
    assert reg.names() == ["json-dumps"]


def test_lazy_reference_is_not_imported_until_used():
    reg = Registry("widget")
    reg.register("broken", "no_such_module_xyz:thing")  # must not fail yet
    assert reg.names() == ["broken"]
    with pytest.raises(ModuleNotFoundError):
        reg.get("broken")


def test_unknown_name_suggests_close_ones():
    reg = Registry("task")
    for name in ("bamboogle", "musique", "compositional_celebrities"):
        reg.register(name, object())
    with pytest.raises(UnknownNameError) as e:
        reg.get("bambogle")
    assert "Did you mean 'bamboogle'?" in str(e.value)
    assert "claimbench list tasks" in str(e.value)
    with pytest.raises(UnknownNameError) as e:
        reg.get("zzzzzz")
    assert "Did you mean" not in str(e.value)


def test_collision_is_an_error_naming_both_sources():
    reg = Registry("model")
    reg.register("hf", "json:dumps", source="pkg_a")
    with pytest.raises(RegistryCollisionError) as e:
        reg.register("hf", "json:loads", source="pkg_b")
    assert "pkg_a" in str(e.value) and "pkg_b" in str(e.value)


def test_entry_points_of_this_distribution_are_discovered():
    assert {"demo_arithmetic", "demo_choice"} <= set(registry.tasks.names())
    assert "scripted" in registry.models.names()
    assert {"exact_match", "accuracy", "mean"} <= set(registry.metrics.names())
    from claimbench.models.scripted import ScriptedAdapter
    assert registry.models.get("scripted") is ScriptedAdapter
