"""A value file given as a URL: Argo CD fetches http(s) ones and refuses other schemes unless
argocd-cm's ``helm.valuesFileSchemes`` names them (helm-secrets' ``secrets://``); platecheck
renders offline, so the Application is a could-not-check error that says which it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.errors import PlatecheckError
from platecheck.valuefiles import Resolver


@pytest.mark.parametrize(("entry", "words"), [
    ("https://example.com/values.yaml", "is a URL; platecheck renders offline"),
    ("secrets://secrets.yaml", "the URL scheme 'secrets' is neither http nor https, which "
                               "Argo CD refuses unless argocd-cm's helm.valuesFileSchemes"),
    ("secrets+gpg-import://key.asc?secrets.yaml", "the URL scheme 'secrets+gpg-import'"),
])
def test_a_url_value_file_is_not_rendered(tmp_path: Path, entry: str, words: str) -> None:
    resolver = Resolver(tmp_path, tmp_path, None, {})
    with pytest.raises(PlatecheckError) as raised:
        resolver.path(entry)
    assert words in raised.value.message
    assert raised.value.message.endswith("this Application is not rendered")


def test_a_file_name_with_a_colon_reads_as_a_scheme_as_in_go(tmp_path: Path) -> None:
    """Go's url.Parse, which Argo CD applies first, reads ``values-a:b.yaml`` as the scheme
    ``values-a``: refused as Argo CD refuses it, even though the file exists."""
    (tmp_path / "values-a:b.yaml").write_text("a: 1\n")
    with pytest.raises(PlatecheckError) as raised:
        Resolver(tmp_path, tmp_path, None, {}).path("values-a:b.yaml")
    assert "the URL scheme 'values-a' is neither http nor https" in raised.value.message
    assert Resolver(tmp_path, tmp_path, None, {}).path("./values-a:b.yaml") == \
        tmp_path / "values-a:b.yaml"


@pytest.mark.parametrize("entry", ["https://example.com/values.yaml", "secrets://values.yaml",
                                   "values-missing.yaml"])
def test_the_remedy_of_a_url_value_file_says_it_is_fetched(tmp_path: Path,
                                                            entry: str) -> None:
    """The could-not-check error of a URL value file does not ask for a file of the
    repository that the user meant to fetch; a missing file of the repository does."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "apps/web.yaml": application("web-prod", "chart", "web-prod", source_extra=(
            f"    helm:\n      valueFiles: ['{entry}']\n")),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n"})
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    fetched = error.remediation.startswith("Argo CD fetches this value file when it syncs")
    assert fetched == (entry != "values-missing.yaml")
