"""``globs.filepath_glob``: the paths a value file glob names, in the order Argo CD's glob
library (doublestar's ``FilepathGlob``) gives them; the cases of Argo CD's
``Test_getResolvedValueFiles_glob`` and doublestar's syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.globs import filepath_glob, go_glob

FILES = ("envs/a.yaml", "envs/z.yaml", "envs/nested/c.yaml", "prod/a.yaml", "prod/b.yaml",
         "prod/nested/c.yaml", "prod/nested/d.yaml", "staging/e.yaml", "a/values.yaml",
         "a-b/values.yaml", ".hidden/h.yaml", "values-one.yaml", "values-two.yml",
         "odd[1].yaml")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


@pytest.mark.parametrize(("pattern", "expected"), [
    # a directory's own files before those of its subdirectories, even where a path sorts
    # after them (``z.yaml`` after ``nested/``)
    ("envs/**/*.yaml", ["envs/a.yaml", "envs/z.yaml", "envs/nested/c.yaml"]),
    ("prod/**/*.yaml", ["prod/a.yaml", "prod/b.yaml", "prod/nested/c.yaml",
                        "prod/nested/d.yaml"]),
    ("**/nested/*.yaml", ["envs/nested/c.yaml", "prod/nested/c.yaml", "prod/nested/d.yaml"]),
    ("**/*.yaml", ["odd[1].yaml", "values-one.yaml", ".hidden/h.yaml", "a/values.yaml",
                   "a-b/values.yaml", "envs/a.yaml", "envs/z.yaml", "envs/nested/c.yaml",
                   "prod/a.yaml", "prod/b.yaml", "prod/nested/c.yaml", "prod/nested/d.yaml",
                   "staging/e.yaml"]),
    # each directory's entries by name: ``a`` before ``a-b``, which a sort of the whole
    # paths puts first (``-`` sorts before ``/``)
    ("*/values.yaml", ["a/values.yaml", "a-b/values.yaml"]),
    # a directory matches as a file does; a final ``**`` is the directory and all below it
    ("envs/*", ["envs/a.yaml", "envs/nested", "envs/z.yaml"]),
    ("envs/**", ["envs", "envs/a.yaml", "envs/nested", "envs/nested/c.yaml", "envs/z.yaml"]),
    # alternatives, negated classes, escapes, ``?`` one character
    ("values-{one,two}.y*ml", ["values-one.yaml", "values-two.yml"]),
    ("{prod,envs}/a.yaml", ["envs/a.yaml", "prod/a.yaml"]),
    ("[^ep]*/*.yaml", [".hidden/h.yaml", "a/values.yaml", "a-b/values.yaml",
                       "staging/e.yaml"]),  # a leading dot matches as any character
    ("[!.a]*/e.yaml", ["staging/e.yaml"]),
    ("odd\\[1\\].y?ml", ["odd[1].yaml"]),
    ("values-???.y?ml", ["values-one.yaml"]),
    ("missing/*.yaml", []),
    ("envs/[a", []),  # a bad pattern matches nothing
])
def test_the_paths_a_glob_names_in_doublestars_order(tree: Path, pattern: str,
                                                       expected: list[str]) -> None:
    found = filepath_glob(f"{tree.as_posix()}/{pattern}")
    assert [Path(path).relative_to(tree).as_posix() for path in found] == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    # each directory part's matches in turn: a/ before a-b/ (a full-path sort puts a-b first)
    ("*/values.yaml", ["a/values.yaml", "a-b/values.yaml"]),
    ("prod/*", ["prod/a.yaml", "prod/b.yaml", "prod/nested"]),
    ("*/nested/?.yaml", ["envs/nested/c.yaml", "prod/nested/c.yaml", "prod/nested/d.yaml"]),
    ("envs/../prod/[^a].yaml", ["prod/b.yaml"]),  # (as filepath.Join cleans it)
    ("odd[1].yaml", []), ("odd\\[1].yaml", ["odd[1].yaml"]),  # a class, unless escaped
    ("values-one.yaml", ["values-one.yaml"]), ("nothing.yaml", []), ("prod/[", []),
])
def test_go_glob_names_what_go_s_filepath_glob_names(tree: Path, pattern: str,
                                                     expected: list[str]) -> None:
    assert go_glob(pattern, str(tree)) == expected
