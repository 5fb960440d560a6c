"""Task files outside any package, as lm-eval's --include_path: hooks beside the YAML, folders of tasks.

A task YAML's `hooks: module:Class` first names a file beside it (`module.py`, or
`pkg/module.py` for `pkg.module`), so a folder of YAML and Python files runs as it is, with no
packaging and no PYTHONPATH; an installed module of that name is used only when no such file is
there. `--include-path DIR` registers every task YAML under DIR by its `task:` name (and every
group YAML by its `group:` name), for this process only; plug-in packages stay the way to share tasks (`claimbench.tasks` entry points).
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from . import registry, yaml_files
from .errors import ConfigError

_PREFIX = "claimbench_task_folder_"  # local modules are imported under a name of their folder's, never a package's


def local_hooks(ref: str, folder: Path) -> object | None:
    """What `module:name` names in the .py file beside a task file in `folder`, or None if no such file is there."""
    if not registry.is_code_ref(ref):
        return None  # a registered name, or malformed: the registry says which
    module, _, attr = ref.partition(":")
    obj: object | None = local_module(module, folder)
    for part in filter(None, attr.split(".")):
        if obj is not None and not hasattr(obj, part):
            raise ConfigError(f"hooks {ref!r}: {str(folder)!r} has {module.replace('.', '/')}.py, but it defines no {attr!r}.")
        obj = getattr(obj, part) if obj is not None else None
    return obj


def local_module(module: str, folder: Path) -> ModuleType | None:
    """The module `module` from the .py file beside a task file in `folder`, imported once; None if there is none."""
    path = folder.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return None
    name = f"{_PREFIX}{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}_{module.replace('.', '_')}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"hooks file {str(path)!r} cannot be imported as a Python module.")
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded  # before running it, as import does (dataclasses look their module up)
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def include(folders: list[str | Path]) -> list[str]:
    """Register every task YAML under `folders` (recursively) by its `task:` name, and every task group
    YAML by its `group:` name; returns the names.
    A name an installed task or another file already has is refused, naming both."""
    from .task_files import TaskFile
    from .task_groups import GroupFile

    names = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise ConfigError(f"--include-path {str(folder)!r} is not a folder; give a folder of task YAML files.")
        files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        for path in files:
            raw = yaml_files.load(path, "task file")
            if isinstance(raw, dict) and "group" in raw:  # a task group (task_groups.py)
                group = GroupFile(path).load()
                registry.groups.register(group.name, GroupFile(path), source=str(path))
                names.append(group.name)
                continue
            if not isinstance(raw, dict) or "task" not in raw:
                continue  # a fragment other task files include, or another kind of YAML
            name = TaskFile(path).config().task  # with what it includes, checked: a broken task file says so here
            registry.tasks.register(name, TaskFile(path), source=str(path))
            names.append(name)
        if not names:
            raise ConfigError(f"--include-path {str(folder)!r} holds no task YAML (a mapping with 'task' and 'hooks').")
    return names
