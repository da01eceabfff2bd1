"""yaml-hygiene: every trap is a finding with its line, a clean file none, bad bytes no crash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platecheck.model import RepoModel, YamlFile
from platecheck.options import parse_options
from platecheck.policies import PolicyOptions, yaml_hygiene
from platecheck.policies.yaml_hygiene import check_bytes
from platecheck.yamlio import MAX_NESTING

PARSER = "does not parse: "  # followed by the parser's own words, which are not compared
AFTER_FIRST = ("does not parse after the end of its first document (Helm 3 reads that "
               "document alone, Helm 4 every one and fails): ")

CLEAN = b"""\
# values for production
image:
  repository: registry.example.com/plate-web
  tag: "1.4.2"
  pullPolicy: IfNotPresent
enabled: true
country: "no"
mode: "0755"
schedule: "22:22"
released: "2024-01-01"
replicas: 3
ratio: 0.5
zero: 0
version: 1.10.0
anchors:
  base: &base {cpu: 100m}
  merged:
    <<: *base
    memory: 64Mi
notes: |
  yes, this block text may say on/off and 22:22 freely
"""

BOOL = "is the boolean {b} to Helm (YAML 1.1) but the string \"{v}\" to YAML 1.2 readers"

CASES = [
    ("clean", CLEAN, []),
    ("yes-value", b"a: 1\nenabled: yes\n",
     [(2, 'unquoted "yes" ' + BOOL.format(b="true", v="yes"))]),
    ("no-value", b"country: no\n", [(1, 'unquoted "no" ' + BOOL.format(b="false", v="no"))]),
    ("on-off", b"x:\n  - on\n  - Off\n",
     [(2, 'unquoted "on" ' + BOOL.format(b="true", v="on")),
      (3, 'unquoted "Off" ' + BOOL.format(b="false", v="Off"))]),
    ("y-n", b"answer: y\nother: N\n",
     [(1, 'unquoted "y" ' + BOOL.format(b="true", v="y")),
      (2, 'unquoted "N" ' + BOOL.format(b="false", v="N"))]),
    ("on-as-key", b"on: push\n", [(1, 'unquoted "on" ' + BOOL.format(b="true", v="on"))]),
    # text to Helm as written, whatever other YAML 1.1 readers make of it
    ("base-60", b"time: 22:22\n", []),
    ("octal", b"umask: 0755\n",
     [(1, 'unquoted "0755" is the octal number 493 to Helm (YAML 1.1) but 755 to YAML 1.2 '
          "readers")]),
    # a file mode, the octal Kubernetes documents: Helm reads what is meant
    ("file-mode", b"defaultMode: 0644\nitems:\n  - {key: a, path: a, mode: 0400}\n", []),
    ("mode-not-octal", b"defaultMode: 0844\n",
     [(1, 'unquoted "0844" has a leading zero: YAML readers disagree on its type')]),
    ("leading-zero", b"zip: 08123\n",
     [(1, 'unquoted "08123" has a leading zero: YAML readers disagree on its type')]),
    ("date", b"released: 2024-01-01\n", []),
    ("timestamp", b"at: 2001-12-14t21:59:43.10-05:00\n", []),
    ("duplicate-key", b"image:\n  tag: a\nreplicas: 1\nimage:\n  tag: b\n",
     [(4, 'duplicate key "image" (first at line 1): Helm keeps only the last value')]),
    ("nested-duplicate", b"a:\n  b: 1\n  c: 2\n  b: 3\n",
     [(4, 'duplicate key "b" (first at line 2): Helm keeps only the last value')]),
    ("quoted-duplicate", b"a: 1\n\"a\": 2\n",
     [(2, 'duplicate key "a" (first at line 1): Helm keeps only the last value')]),
    # keys of other texts that Go reads as one (sigs.k8s.io/yaml's JSON key of each)
    ("one-key-to-go", b"w:\n  1.0: low\n  1: high\nf:\n  true: a\n  True: b\n"
                      b"o:\n  1: one\n  01: uno\n",
     [(3, 'duplicate key "1" (first at line 2 as "1.0", one key to Helm): Helm keeps only '
          "the last value"),
      (6, 'duplicate key "True" (first at line 5 as "true", one key to Helm): Helm keeps only '
          "the last value"),
      (9, 'duplicate key "01" (first at line 8 as "1", one key to Helm): Helm keeps only the '
          "last value")]),
    ("tab-indent", b"a:\n\tb: 1\n",
     [(2, PARSER), (2, "tab character in indentation")]),
    # a tab after a block scalar's indentation is its text (a gitconfig's), as helm reads it
    ("tab-in-block-content", b"git: |\n  [user]\n  \tname = x\nb: 1\n", []),
    ("tab-in-folded-content-no-last-break", b"note: >\n  a\n  \tb", []),
    # two files run together: the second's byte order mark is a character of its first key
    ("inner-byte-order-mark", b"a: 1\n# \xef\xbb\xbfcomment\n\xef\xbb\xbfimage: x\n",
     [(3, "byte order mark inside the file: Helm reads it as a character of the key or value "
          "it precedes")]),
    ("bom", b"\xef\xbb\xbfa: 1\n", [(1, "file starts with a UTF-8 byte order mark")]),
    ("utf16", "a: 1\nb: yes\n".encode("utf-16"),
     [(1, "file is UTF-16 encoded (byte order mark): Helm and Argo CD read it, but most "
          "editors, diffs and YAML tools expect UTF-8"),
      (2, 'unquoted "yes" is the boolean true to Helm (YAML 1.1) but the string "yes" to '
          "YAML 1.2 readers")]),
    ("latin-1", b"name: caf\xe9\nother: 1\n", [(1, "not valid UTF-8 (byte 0xe9)")]),
    ("latin-1-later", b"a: 1\nb: 2\nc: \xff\xfe\n", [(3, "not valid UTF-8 (byte 0xff)")]),
    ("unparsable", b"a: [1, 2\nb: 3\n",
     [(2, PARSER)]),
    ("multi-document", b"a: 1\n---\na: yes\na: 2\n",
     [(3, 'unquoted "yes" ' + BOOL.format(b="true", v="yes")),
      (4, 'duplicate key "a" (first at line 3): Helm keeps only the last value')]),
    ("empty", b"", []),
    # more after a document's end marker, with no "---": Helm 3 never reads it
    ("after-the-first-document", b"a: 1\n...\nb: 2\n",
     [(3, AFTER_FIRST)]),
    # a tag that makes the scalar text to Helm (go-yaml v2): no YAML 1.1 surprise
    ("tagged-text", b"enabled: !!str yes\nmode: !foo 0755\nat: ! 22:22\nimage:\n"
                    b"  tag: !!str 1.10\n  version: !unsafe 1e3\nz: ! on\n", []),
    ("tagged-number", b"image:\n  tag: !!float 1.10\n",
     [(2, 'unquoted tag "1.10" is a number to Helm and is rendered as "1.1"')]),
    # an integer of a million or more: a float64 in Helm's values, printed with an exponent
    ("integer-tag", b"image:\n  tag: 20240101\n  version: 999999\nappVersion: 1000000\n",
     [(2, 'unquoted tag "20240101" is a number to Helm and is rendered as "2.0240101e+07"'),
      (4, 'unquoted appVersion "1000000" is a number to Helm and is rendered as "1e+06"')]),
    # Kubernetes' file modes are octal as meant; another key ending in mode is not one
    ("config-mode", b"configMode: 0770\n",
     [(1, 'unquoted "0770" is the octal number 504 to Helm (YAML 1.1) but 770 to YAML 1.2 '
          "readers")]),
]


def repo(*files: tuple[str, bytes]) -> RepoModel:
    yaml_files = tuple(YamlFile(path=Path("/repo") / rel, rel=rel, role="values", raw=raw)
                       for rel, raw in files)
    return RepoModel(root=Path("/repo"), applications=(), app_of_apps=(), charts=(),
                     targets=(), rendered=(), yaml_files=yaml_files)


def run(model: RepoModel, **options: object) -> list[tuple[str | None, int | None, str]]:
    opts = PolicyOptions(default=parse_options(yaml_hygiene.Options, options))
    return [(f.file, f.line, f.message) for f in yaml_hygiene.check(model, opts)]


@pytest.mark.parametrize("raw, expected", [(raw, exp) for _, raw, exp in CASES],
                         ids=[case_id for case_id, _, _ in CASES])
def test_case(raw: bytes, expected: list[tuple[int, str]], yaml_loader: str) -> None:
    found = run(repo(("values.yaml", raw)))
    # the parser's own words follow "does not parse: "; they differ between loaders
    shown = [(file, line, next((p for p in (PARSER, AFTER_FIRST) if message.startswith(p)
                                and len(message) > len(p)), message))
             for file, line, message in found]
    assert shown == [("values.yaml", line, message) for line, message in expected]


def test_every_finding_has_a_remediation() -> None:
    findings = [f for _, raw, _ in CASES for f in check_bytes("v.yaml", raw)]
    assert findings and all(f.remediation and f.policy == "yaml-hygiene" for f in findings)
    [boolean] = check_bytes("v.yaml", b"a: yes\n")
    assert boolean.remediation == 'Quote it ("yes") if it is text; write true or false if it ' \
                                  "is a boolean."


def test_ignore_files_and_each_file_once() -> None:
    model = repo(("vendor/values.yaml", b"a: yes\n"), ("values.yaml", b"a: no\n"),
                 ("values.yaml", b"a: no\n"))
    assert run(model, ignoreFiles=["vendor/*"]) == [
        ("values.yaml", 1, 'unquoted "no" ' + BOOL.format(b="false", v="no"))]


def test_an_application_file_argo_cd_reads_as_json_is_not_yaml_s() -> None:
    """An Application file whose stream starts with ``{`` (NDJSON named ``.yaml``) is read
    by Kubernetes' decoder as JSON, whatever its name: no YAML finding; a values file so
    written is still YAML to helm."""
    ndjson = (b'\xef\xbb\xbf{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"}\n'
              b'{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"}\n')
    model = dataclasses.replace(repo(("values.yaml", ndjson)), yaml_files=(
        YamlFile(Path("/repo/apps.yaml"), "apps.yaml", "application", ndjson),
        YamlFile(Path("/repo/values.yaml"), "values.yaml", "values", ndjson)))
    assert {file for file, _, _ in run(model)} == {"values.yaml"}


def test_deep_nesting_and_alias_loops_do_not_crash() -> None:
    deep = b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n"
    assert isinstance(list(check_bytes("deep.yaml", deep)), list)
    aliases = b"a: &a [x]\nb: [*a, *a, *a]\n"
    assert list(check_bytes("alias.yaml", aliases)) == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    for finding in check_bytes("fuzz.yaml", raw):
        assert finding.file == "fuzz.yaml" and finding.message


def test_policy_files_mean_what_platecheck_reads() -> None:
    # platecheck alone reads its policy files: `level: off` is what the docs say (a date is
    # text to Helm too: no finding in either)
    raw = b"policies:\n  a: {level: off}\n  a: {expires: 2027-01-31}\n"
    assert [(f.line, f.message[:13]) for f in check_bytes("policies/x.yaml", raw,
                                                           yaml11=False)] == [
        (3, 'duplicate key')]
    assert sorted((f.line, f.message[:13]) for f in check_bytes("values.yaml", raw)) == [
        (2, 'unquoted "off'), (3, 'duplicate key')]


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 999, 1001, 30000])
def test_nesting_too_deep_for_the_parser_is_a_finding_not_a_crash(
        depth: int, yaml_loader: str) -> None:
    # 999 and 1001 straddle libyaml 0.2.6's own limit; 30000 crashed libyaml 0.2.5's composer
    raw = b"a: 1\nb: " + b"[" * depth + b"]" * depth + b"\n"
    [finding] = check_bytes("deep.yaml", raw)
    assert (finding.line, finding.message) == (
        2, f"nested more than {MAX_NESTING} levels deep: not read")


def test_a_duplicate_key_of_an_application_names_what_reads_it(tmp_path: Path) -> None:
    """Helm never reads an Application file: Argo CD's YAML decoding (as kubectl's) keeps the
    last of two ``source:`` keys, and reads its YAML 1.1 booleans."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    app = application("web", "web", "web")
    twice = app.replace("  destination:", "  source:\n    repoURL: "
                        "https://git.example.com/repo.git\n    path: web\n  destination:"
                        ) + "  info: [{name: n, value: yes}]\n"
    repo_ = write_files(tmp_path / "repo", {
        "apps/web.yaml": twice,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo_, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if f.policy == "yaml-hygiene"] \
        == [("apps/web.yaml:11", 'duplicate key "source" (first at line 8): Argo CD\'s YAML '
             "decoding (as kubectl's) keeps only the last value"),
            ("apps/web.yaml:17", 'unquoted "n" is the boolean false to Argo CD (YAML 1.1) but '
             'the string "n" to YAML 1.2 readers'),
            ("apps/web.yaml:17", 'unquoted "yes" is the boolean true to Argo CD (YAML 1.1) but '
             'the string "yes" to YAML 1.2 readers')]


@pytest.mark.parametrize("style", ["|", ">"])
def test_an_application_s_literal_helm_values_are_read_as_helm_reads_them(
        tmp_path: Path, helm_bin: Path, style: str) -> None:
    """``helm.values: |`` is a values file Argo CD hands to helm: its duplicate key and its
    octal number are found at their lines of the Application file. A folded block (``>``),
    whose lines are joined, is not looked into."""
    from platecheck.engine import lint
    from synthetic import CHART_C, application, write_files

    values = (f"    helm:\n      values: {style}\n        tag: \"1.0\"\n        tag: latest\n"
              "        umask: 0755\n")
    repo_ = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/web.yaml": application("web", "chart", "web", source_extra=values),
        "chart/Chart.yaml": CHART_C,
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    report = lint(repo_, helm=helm_bin, cache_dir=tmp_path / "cache")
    found = [(f.location, f.message) for f in report.findings if f.policy == "yaml-hygiene"]
    assert found == ([] if style == ">" else [
        ("apps/web.yaml:14", 'duplicate key "tag" (first at line 13): Helm keeps only the last '
         "value"),
        ("apps/web.yaml:15", 'unquoted "0755" is the octal number 493 to Helm (YAML 1.1) but 755 '
         "to YAML 1.2 readers")])


@pytest.mark.usefixtures("kubectl_bin")
def test_a_kustomization_file_s_key_written_twice_is_named(tmp_path: Path) -> None:
    """A second ``configMapGenerator:`` in a kustomization: kustomize keeps it alone, without
    a word, dropping the first one's ConfigMap; a YAML 1.1 word there is kustomize's own
    business (its build refuses a value of the wrong type)."""
    from platecheck.engine import lint
    from synthetic import application, repository

    root = repository(tmp_path, {
        "apps/web.yaml": application("web-prod", "k", "web-prod"),
        "k/kustomization.yaml": "configMapGenerator:\n  - name: one\n    literals: [a=1]\n"
                                "commonAnnotations: {note: yes}\n"
                                "configMapGenerator:\n  - name: two\n    literals: [b=2]\n"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if f.policy == "yaml-hygiene"] == [
        ("k/kustomization.yaml:5", 'duplicate key "configMapGenerator" (first at line 1): '
         "kustomize keeps only the last value")]
