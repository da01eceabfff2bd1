"""The modules follow the data flow: no module imports one from a later stage, and no
platecheck modules import each other in a cycle (imports inside functions count too).

The stages, in order (docs/architecture.md says what each module does):

- ``base``: types, YAML, errors, the helm and kubectl binaries, caches, sandboxing and
  small parsers every stage may use;
- ``config``: the repository's configuration and waivers file, read once;
- ``discover``: the repository root, Applications, app-of-apps children, ApplicationSets;
- ``plan``: Applications (or chart directories) into render targets, every source path,
  value file and ref resolved;
- ``render``: helm, kubectl kustomize, directory and Jsonnet sources;
- ``parse``: rendered output into resources, generated Applications, CRD schemas, values
  schemas;
- ``policies``: the policies and what is decided after them (waiver matching, ownership);
- ``report``: the output formats, pure functions of a Report;
- ``run``: the pipeline that calls every stage (engine, whole-run cache, base-diff);
- ``front``: the command line, the pytest plugin, ``platecheck init`` and the package API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "platecheck"

STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("errors", "lazymodule", "limits", "model", "version", "yamlio", "globs", "semver",
              "quantity", "formats", "helmignore",
              "hosts", "regexcheck", "progress", "imageref", "provenance", "modeljson",
              "argocd_env", "sandbox", "supervisor", "distributions", "cache", "helmbin",
              "helmbin.install", "helmbin.locate",
              "helmbin.releases", "helmbin.kubectl", "resources", "containers",
              "manifest_lines", "options", "metaschema", "goregex", "schema_problems",
              "crd_formats", "crd_invariants", "schema_validators", "crd_structural", "schemas",
              "runmemo", "objectmeta", "kindrules",
              "boundedread", "realpaths", "walk", "chartfile", "repourl", "kustomize_patches",
              "goyaml",
              "gojson", "projects", "scopes", "submodules")),
    ("config", ("config", "waivers")),
    ("discover", ("discover", "reporoot", "manifests", "gofmt", "gotoyaml", "gofuncs", "goparse",
                  "gotemplate_builtins", "gotemplate_exec", "gotemplate", "appset", "appset_git",
                  "appset_patch",
                  "appset_generators", "sourcetype")),
    ("plan", ("plan", "helmargs", "helmsource", "valuefiles", "overrides", "changed",
              "sourcecheck")),
    ("render", ("render", "dependencies", "directory", "jsonnet", "kustomize_tree", "undeployed",
                "kustomize_errors", "kustomize_edit", "values", "kustomize_values",
                "kustomize_generators", "kustomize",
                "lintvalues")),
    ("parse", ("parse", "generated", "crds", "values_schema")),
    ("policies", ("policies", "policies.*", "ownership")),
    ("report", ("report", "report.*")),
    ("run", ("problems", "rendering", "batch", "planning", "generation", "policyrun", "engine",
             "runcache", "rendered_diff", "basetree")),
    ("front", ("cli", "pytest_plugin", "init", "docs", "", "__main__")),
)


# Back-edges known and still to remove. Each must still exist (a test below says so), so an
# edge leaves this list when it leaves the code.
PENDING: frozenset[tuple[str, str]] = frozenset()


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(SRC / PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _stage(module: str) -> int:
    for number, (_, names) in enumerate(STAGES):
        for name in names:
            if module == name or (name.endswith(".*") and module.startswith(name[:-1])):
                return number
    raise AssertionError(f"module {module or PACKAGE!r} has no stage in STAGES")


def _absolute(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = [PACKAGE, *module.split(".")] if module else [PACKAGE]
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str) -> dict[str, int]:
    """The platecheck modules ``module`` imports (anywhere in it), with a line of each."""
    path = MODULES[module]
    found: dict[str, int] = {}

    def add(name: str, line: int) -> None:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            inner = name[len(PACKAGE) + 1:]
            if inner in MODULES and inner != module:
                found.setdefault(inner, line)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, path)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if full[len(PACKAGE) + 1:] in MODULES else base, node.lineno)
    return found


GRAPH = {module: _imports(module) for module in sorted(MODULES)}


def _where(module: str) -> str:
    return str(MODULES[module].relative_to(SRC.parent))


def test_every_module_has_a_stage_and_every_stage_entry_a_module() -> None:
    for module in MODULES:
        _stage(module)
    listed = {name for _, names in STAGES for name in names if not name.endswith(".*")}
    assert sorted(listed - set(MODULES)) == []


def test_no_module_imports_a_later_stage() -> None:
    wrong = [f"{_where(module)}:{line} ({STAGES[_stage(module)][0]}) imports "
             f"{PACKAGE}.{target} ({STAGES[_stage(target)][0]})"
             for module, targets in GRAPH.items() for target, line in targets.items()
             if _stage(target) > _stage(module) and (module, target) not in PENDING]
    assert wrong == []


def test_pending_back_edges_still_exist() -> None:
    assert sorted(edge for edge in PENDING if edge[1] not in GRAPH[edge[0]]) == []


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in GRAPH[module]:
            if (module, target) in PENDING:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in GRAPH:
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_no_import_cycles() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(f"{PACKAGE}.{m}".rstrip(".") for m in cycle or [])


@pytest.mark.parametrize("module", ["cli"])
def test_the_command_line_imports_no_policy_and_no_private_engine_name(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    private = [f"{_where(module)}:{node.lineno}" for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == f"{PACKAGE}.engine"
               and any(alias.name.startswith("_") for alias in node.names)]
    assert private == []
    assert [t for t in GRAPH[module] if t.startswith("policies.")] == []


def test_the_checker_sees_imports_inside_functions() -> None:
    """The scan itself: a lazy import in a function body is an edge like any other."""
    assert "engine" in GRAPH[""]  # platecheck.lint imports the engine inside the function
