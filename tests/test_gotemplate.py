"""gotemplate: Go's text/template as Argo CD executes an ApplicationSet's strings. Each
expected output and error below is text/template's own (Go, with the sprig functions' code),
over the parameters ``PARAMS``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platecheck import gotemplate

PARAMS: dict[str, Any] = {
    "env": "prod", "tag": "latest", "num": 1, "big": 1000000, "half": 0.5, "on": True,
    "tags": ["a", "b"], "meta": {"z": 1, "a": "x", "l": [1, None]}, "nothing": None}

# (template, missingkey=error, what text/template writes)
OUTPUTS = [
    ('{{ .env | upper }}', False, 'PROD'),
    ('{{ upper .env }}', False, 'PROD'),
    ('{{ $.env }}', False, 'prod'),
    ('{{ index . "env" }}', False, 'prod'),
    ('{{/* c */}}x', False, 'x'),
    ('{{ .env  -}} x', False, 'prodx'),  # the trim marker after a run of spaces
    ('{{ .env | upper | }}', False, 'PROD'),  # a last | before the delimiter
    ('{{ if .env }}x{{ end }}', False, 'x'),
    ('{{ index .tags 1 }}', False, 'b'),
    # sprig's has: reflect.DeepEqual, so a literal 1 (an int) is no JSON 1 (a float64)
    ('{{ has "b" .tags }} {{ has "c" .tags }} {{ has 1 .meta.l }} {{ has 1.0 .meta.l }}',
     False, 'true false false true'),
    ('{{ has nil .meta.l }} {{ has "a" .nothing }} {{ .tags | has "a" }}', False,
     'true false true'),
    ('{{ has (list 1.0 nil) (list .meta.l) }} {{ has (dict "a" "x") (list .meta) }}', False,
     'true false'),
    ('{{ if eq .env "prod" }}P{{ else }}N{{ end }}', False, 'P'),
    ('{{ default "x" .foo }}', False, 'x'),
    ('{{ printf "%s-%s" .env .tag }}', False, 'prod-latest'),
    ('{{ printf "%d" .num }}', False, '%!d(float64=1)'),
    ('{{ printf "%v|%5.2f|%-4s|" .half .half .env }}', False, '0.5| 0.50|prod|'),
    ('{{ dig "meta" "a" "d" . }}', False, 'x'),
    ('{{ hasKey .meta "z" }}', False, 'true'),
    ('{{ toJson .meta }}', False, '{"a":"x","l":[1,null],"z":1}'),
    ('{{ range $i, $v := .tags }}{{ $i }}:{{ $v }};{{ end }}', False, '0:a;1:b;'),
    ('{{ range $k, $v := .meta }}{{ $k }}={{ $v }},{{ end }}', False, 'a=x,l=[1 <nil>],z=1,'),
    ('{{ regexReplaceAll "[aeiou]" .env "_$0" }}', False, 'pr_od'),
    ('{{ .env | quote }}', False, '"prod"'),
    ('{{ list 1 2.5 "a" nil }}', False, '[1 2.5 a <nil>]'),
    ('{{ dict "a" 1 "b" }}', False, 'map[a:1 b:]'),
    ('{{ and .env .tag }}', False, 'latest'),
    ('{{ or .nope .nothing 0 }}', False, '0'),
    ('{{ not .on }}', False, 'false'),
    ('{{ len .tags }}', False, '2'),
    ('{{ slice .tags 1 }}', False, '[b]'),
    # sprig's slice (Argo CD's functions replace the builtin): indexes made ints by toInt, a
    # float64 parameter and a text among them; a third ignored; an empty list nil
    ('{{ slice .tags .num }}|{{ slice .tags "1" }}|{{ slice .tags 0 1 2 }}|{{ slice .tags nil }}',
     False, '[b]|[b]|[a]|[a b]'),
    ('{{ slice (list) }}|{{ slice .tags .half 1 }}|{{ slice (splitList "," "a,b") 1 }}', False,
     '<no value>|[a]|[b]'),
    ('{{ eq .num 1.0 }}', False, 'true'),
    ('{{ trunc 2 .env }}', False, 'pr'),
    ('{{ .env | trimPrefix "pr" | trimSuffix "d" }}', False, 'o'),
    ('{{ replace "o" "0" .env }}', False, 'pr0d'),
    ('{{ splitList "," "a,b,,c" }}', False, '[a b  c]'),
    ('{{ split "," "a,b" }}', False, 'map[_0:a _1:b]'),
    ('{{ join "-" .tags }}', False, 'a-b'),
    ('{{ join "-" .meta.l }}', False, '1'),
    ('{{ b64enc .env }}', False, 'cHJvZA=='),
    ('{{ base "a/b/c" }} {{ dir "a/b/c" }} {{ dir "c" }} {{ base "" }}', False, 'c a/b . .'),
    ('{{ normalize "Web_App.Prod-" }}', False, 'web-app.prod'),
    ('{{ empty .nothing }} {{ empty 0 }} {{ empty .tags }}', False, 'true true false'),
    ('{{ ternary "y" "n" .on }}', False, 'y'),
    ('{{ coalesce .nope .nothing "" "z" }}', False, 'z'),
    ('{{ toString .half }}', False, '0.5'),
    ('{{ atoi "42" }} {{ atoi "x" }}', False, '42 0'),
    # strconv.Atoi's bound, returned with its range error (reported at the digit that
    # overflows a uint64, before the x)
    ('{{ atoi "-9223372036854775809" }} {{ atoi "99999999999999999999x" }} '
     '{{ atoi "18446744073709551615x" }}', False, '-9223372036854775808 9223372036854775807 0'),
    ('{{ contains "ro" .env }} {{ hasPrefix "p" .env }} {{ hasSuffix "x" .env }}', False,
     'true true false'),
    ('{{ $x := "a" }}{{ $x = "b" }}{{ $x }}', False, 'b'),
    ('{{ with .meta }}{{ .a }}{{ end }}', False, 'x'),
    ('{{ with .nope }}x{{ else }}y{{ end }}', False, 'y'),
    ('{{ range .nope }}x{{ else }}empty{{ end }}', False, 'empty'),
    ('{{ range .tags }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}', False, 'b'),
    ('{{ range .tags }}{{ . }}{{ break }}{{ end }}', False, 'a'),
    ('{{ print 1 2 "a" 3 }}', False, '1 2a3'),
    ('{{ println .env 1 }}', False, 'prod 1\n'),
    ('{{ .meta.l }}', False, '[1 <nil>]'),
    ('{{ (index .meta.l 0) }}', False, '1'),
    ('{{ nindent 2 "a\\nb" }}', False, '\n  a\n  b'),
    ('{{ indent 2 "a" }}', False, '  a'),
    ('{{ printf "%q" .env }}', False, '"prod"'),
    ('{{ printf "%t %g" .on .big }}', False, 'true 1e+06'),
    ('{{ printf "%06v|%05t|%08q|%-06s|%05s" .env .on .env .env "-a" }}', False,
     '00prod|0true|00"prod"|prod  |000-a'),
    ('{{ printf "%q|%q|%05q|%q" 65 (len .tags) (atoi "39") 1.0 }}', False,
     "'A'|'\\x02'|0'\\''|%!q(float64=1)"),
    ('{{ printf "%s" .num }}', False, '%!s(float64=1)'),
    ('{{ lt 1 2 }} {{ ge .half 0.5 }} {{ gt "b" "a" }}', False, 'true true true'),
    ('{{ ne .env "prod" }}', False, 'false'),
    ('{{ 1.0 }} {{ 1e3 }} {{ -2 }}', False, '1 1000 -2'),
    ('{{ .env | printf "%s-x" }}', False, 'prod-x'),
    ('{{ default .env .nope | upper }}', False, 'PROD'),
    ('{{ index .meta "nope" }}', False, '<no value>'),
    ('{{ regexReplaceAll "(\\\\w+)" .env "${1}x" }}', False, 'prodx'),
    ('{{ regexReplaceAll "x*" "abc" "-" }}', False, '-a-b-c-'),
    ('{{ regexReplaceAll "(o+)+" "foo" "<$1>" }}', False, 'f<oo>'),
    ('{{ regexReplaceAll "(o|)?" .env "<$1>" }}|{{ regexReplaceAll "(x*)?d" .env "<$1>" }}',
     False, '<>p<>r<o>d<>|pro<>'),
    # Regexp.Expand: $01 and $1é name groups (none here); ${1}é is group 1, then é
    ('{{ regexReplaceAll "(o)" .env "$01|$1é|${1}é" }}', False, 'pr||oéd'),
    # RE2's \s is no vertical tab
    ('{{ regexReplaceAll "\\\\s" "a\\vb c" "-" }}|{{ regexMatch "^\\\\S$" "\\v" }}|'
     '{{ regexReplaceAll "[\\\\s]" "a\\vb c" "-" }}', False, 'a\vb-c|true|a\vb-c'),
    ('{{ toJson .tags }} {{ toJson 1.5e-7 }} {{ toJson "<a&b>" }}', False,
     '["a","b"] 1.5e-7 "\\u003ca\\u0026b\\u003e"'),
    ('{{ index . "nope" }}', True, '<no value>'),
    ('{{ toYaml .meta | nindent 2 }}', False, '\n  a: x\n  l:\n  - 1\n  - null\n  z: 1'),
    ('{{ toYaml .nope }}|{{ toYaml .nothing }}|{{ toYaml (len .tags) }}|{{ toYaml .big }}',
     False, 'null|null|2|1000000'),
    ('{{ toYaml (splitList "," "a,,yes") }}', False, '- a\n- ""\n- "yes"'),
    ('{{ toYaml (dict "b" "1" "a10" (list) "a9" (dict)) }}', False,
     'a9: {}\na10: []\nb: "1"'),
]

# (template, missingkey=error, the error Go reports, after its "executing ... at ")
ERRORS = [
    ('{{ has "a" .env }}', False,
     '<has "a" .env>: error calling has: Cannot find has on type string'),
    ('{{ has "z" .meta }}', False,
     '<has "z" .meta>: error calling has: Cannot find has on type map'),
    ('{{ eq .num 1 }}', False, '<eq .num 1>: error calling eq: incompatible types for comparison'),
    ('{{ eq .env 1 }}', False, '<eq .env 1>: error calling eq: incompatible types for comparison'),
    ('{{ index .tags 2 }}', False,
     '<index .tags 2>: error calling index: reflect: slice index out of range'),
    ('{{ index .tags 3 }}', False, '<index .tags 3>: error calling index: index out of range: 3'),
    ('{{ lower .num }}', False, '<.num>: wrong type for value; expected string; got float64'),
    ('{{ lower .nope }}', False, '<.nope>: invalid value; expected string'),
    ('{{ lower .nothing }}', False,
     '<.nothing>: wrong type for value; expected string; got interface {}'),
    ('{{ (index .meta "l").x }}', False,
     '<(index .meta "l").x>: can\'t evaluate field x in type []interface {}'),
    ('{{ .env.x }}', False, "<.env.x>: can't evaluate field x in type interface {}"),
    ('{{ dig "tags" "x" "d" . }}', False,
     '<dig "tags" "x" "d" .>: error calling dig: interface conversion: interface {} is '
     '[]interface {}, not map[string]interface {}'),
    ('{{ hasKey .tags "x" }}', False,
     '<.tags>: wrong type for value; expected map[string]interface {}; got []interface {}'),
    ('{{ "a" "b" }}', False, '<"a">: can\'t give argument to non-function "a"'),
    ('{{ .env "b" }}', False, '<.env>: env is not a method but has arguments'),
    ('{{ .nope }}', True, '<.nope>: map has no entry for key "nope"'),
    ('{{ .nope.x }}', True, '<.nope.x>: map has no entry for key "nope"'),
    ('{{ default "d" .nope }}', True, '<.nope>: map has no entry for key "nope"'),
    ('{{ slice .env 1 3 }}', False, '<slice .env 1 3>: error calling slice: list should be '
     'type of slice or array but string'),
    ('{{ slice .meta }}', False,
     '<slice .meta>: error calling slice: list should be type of slice or array but map'),
    ('{{ slice .tags 2 1 }}', False,
     '<slice .tags 2 1>: error calling slice: reflect.Value.Slice: slice index out of bounds'),
    ('{{ slice .nothing }}', False, '<slice .nothing>: error calling slice: runtime error: '
     'invalid memory address or nil pointer dereference'),
    ('{{ .env | nindent -1 }}', False,
     '<nindent -1>: error calling nindent: strings: negative Repeat count'),
    # declared for Go's parser, not (yet, or any more) for its execution
    ('{{ $x := $x }}', False, '<$x>: undefined variable: $x'),
    ('{{ if false }}{{ $x := 1 }}{{ else }}{{ $x.a }}{{ end }}', False,
     '<$x.a>: undefined variable: $x'),
    ('{{ if false }}{{ $y := 1 }}{{ else if true }}{{ len $y }}{{ end }}', False,
     '<$y>: undefined variable: $y'),
]

# not executed exactly (a function not implemented, a verb, a text beyond ASCII): not read
REFUSED = [
    '{{ upper "é" }}',
    '{{ printf "%x" 1 }}',
    '{{ printf "%q" 233 }}',
    '{{ printf "%q" -1 }}',
    # a list's capacity, against which Go checks the indexes, is not known
    '{{ slice .tags 0 3 }}',
    # a text cast reads otherwise from version to version
    '{{ slice .tags "01" }}',
    '{{ slice .tags "1.0" }}',
    # regular expressions Python reads and Go refuses (regexReplaceAll fails, regexMatch is
    # false)
    '{{ regexReplaceAll "a++" .env "-" }}',
    '{{ regexReplaceAll "a{1001}" .env "-" }}',
    '{{ regexMatch "\\\\Z" .env }}',
    '{{ regexMatch "[\\\\b]" .env }}',
    # a group in a repetition that can match empty: RE2 keeps the last iteration that
    # matched text ((a?)+ over aa: a), Python the empty last one
    '{{ regexReplaceAll "(a?)+" .env "<$1>" }}',
    '{{ regexReplaceAll "(o|)*" .env "<$1>" }}',
    '{{ kebabcase .env }}',
    # toYaml: go-yaml's timestamps, its quoting beyond printable ASCII, its folding of a
    # quoted text at 80 columns (which a program may turn off)
    '{{ toYaml (dict "k" "2024-01-01") }}',
    '{{ toYaml "é" }}',
    '{{ toYaml (dict "k" "a\\tb") }}',
    '{{ printf "%s %080d" "a:" 1 | toYaml }}',
    '{{ define "x" }}{{ end }}',
    # Go fails at the node it evaluated last
    '{{ if false }}{{ $x := 1 }}{{ else }}{{ $x = 2 }}{{ end }}',
]

# toYaml of a parameter (sigs.k8s.io/yaml over go-yaml v2): (the value, what Argo CD's
# toYaml writes)
TO_YAML: list[tuple[Any, str]] = [
    ({'a': 'x', 'b': {'x': {}, 'y': [1.0, {'j': [], 'k': 'v'}]}},
     'a: x\nb:\n  x: {}\n  "y":\n  - 1\n  - j: []\n    k: v'),
    ([[1.0, 2.0], [], {}, [{'a': None}]],
     '- - 1\n  - 2\n- []\n- {}\n- - a: null'),
    ({'1': 6.0,
      '10': 7.0,
      '2': 8.0,
      'B': 4.0,
      '_z': 5.0,
      'a': 3.0,
      'a01': 9.0,
      'a1': 10.0,
      'a10': 1.0,
      'a9': 2.0},
     '_z: 5\n"1": 6\n"2": 8\n"10": 7\nB: 4\na: 3\na1: 10\na01: 9\na9: 2\na10: 1'),
    (['yes', 'No', 'ON', 'y', 'true', 'null', '~', '', '1', '-1.5', '0x1F', '0o17', '0b101',
      '1_000', '.5', '1e3', '12:30', '+.inf', '.NaN'],
     '- "yes"\n- "No"\n- "ON"\n- "y"\n- "true"\n- "null"\n- "~"\n- ""\n- "1"\n- "-1.5"\n'
     '- "0x1F"\n- "0o17"\n- "0b101"\n- "1_000"\n- ".5"\n- "1e3"\n- "12:30"\n- "+.inf"\n'
     '- ".NaN"'),
    (['<<', '1e999', '0b11111111111111111111111111111111111111111111111111111111111111111', '08',
      'v1.2.3', '1.2.3', '12-34', 'e3', '-', '--', '-a', 'a-', 'inf'],
     '- <<\n- 1e999\n- 0b11111111111111111111111111111111111111111111111111111111111111111\n'
     '- "08"\n- v1.2.3\n- 1.2.3\n- 12-34\n- e3\n- \'-\'\n- --\n- -a\n- a-\n- inf'),
    (['a: b', 'a:', ':a', '? a', '- a', '#c', 'a #c', 'a#c', "'q", '"q', '[a]', '{a}', '*a',
      '&a', '!a', '%a', '@a', '`a', '|', '>', ',a', 'a,b', '---', '...', ' a', 'a ', "it's",
      'back\\slash', 'http://h/p?a=b#c'],
     "- 'a: b'\n- 'a:'\n- :a\n- '? a'\n- '- a'\n- '#c'\n- 'a #c'\n- a#c\n- '''q'\n"
     '- \'"q\'\n- \'[a]\'\n- \'{a}\'\n- \'*a\'\n- \'&a\'\n- \'!a\'\n- \'%a\'\n- \'@a\'\n'
     "- '`a'\n- '|'\n- '>'\n- ',a'\n- a,b\n- '---'\n- '...'\n- ' a'\n- 'a '\n- it's\n"
     '- back\\slash\n- http://h/p?a=b#c'),
    (['a\nb', 'a\nb\n', 'a\n\n', '\n', ' a\nb', 'a \nb', 'a\n b', 'a\n\nb', 'a\n \nb'],
     '- |-\n  a\n  b\n- |\n  a\n  b\n- |+\n  a\n\n- |2+\n\n- |2-\n   a\n  b\n- "a \\nb"\n'
     '- |-\n  a\n   b\n- |-\n  a\n\n  b\n- "a\\n \\nb"'),
    ({'': 1.0, '#k': 5.0, '1.5': 4.0, 'a: b': 3.0, 'yes': 2.0, '~': 6.0},
     '"": 1\n\'#k\': 5\n"~": 6\n"1.5": 4\n\'a: b\': 3\n"yes": 2'),
    ([1.0, 1.5, 1e+21, -0.0, 1e+20, 123456789.0, 1234567.5, 1e-06, 1e-07, 0.1,
      9.223372036854776e+18, -9.223372036854776e+18, 1.8446744073709552e+19, 5e-324],
     '- 1\n- 1.5\n- 1e+21\n- 0\n- 1e+20\n- 123456789\n- 1.2345675e+06\n- 1e-06\n- 1e-07\n'
     '- 0.1\n- 9223372036854776000\n- -9.223372036854776e+18\n- 1.8446744073709552e+19\n'
     '- 5e-324'),
    ([True, False, None],
     '- true\n- false\n- null'),
    ({'k': 'a x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x'},
     'k: a x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x'),
    # a plain text folded at a space past column 80, indented two more than its key (helm's
    # toYaml, the same sigs.k8s.io/yaml, writes each alike)
    ({'k': 'word ' * 20 + 'end'},
     'k: word word word word word word word word word word word word word word word word\n'
     '  word word word word end'),
    ({'a': {'b': ['lorem ipsum dolor ' * 6 + 'x']}},
     'a:\n  b:\n  - lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor'
     ' lorem\n    ipsum dolor lorem ipsum dolor x'),
    ({'k': 'a' * 77 + '  b c  d'}, 'k: ' + 'a' * 77 + '  b\n  c  d'),
    ({'k': 'a' * 76 + ' b' + ' c' * 5}, 'k: ' + 'a' * 76 + ' b\n  c c c c c'),
    ('top level ' * 12 + 'end',
     'top level top level top level top level top level top level top level top level top\n'
     '  level top level top level top level end'),
]


@pytest.mark.parametrize(("value", "expected"), TO_YAML)
def test_to_yaml_writes_what_argo_cds_to_yaml_writes(value: Any, expected: str) -> None:
    parsed = gotemplate.parse("{{ toYaml .v }}")
    assert parsed is not None
    assert gotemplate.execute(parsed, {"v": value}) == expected


@pytest.mark.parametrize(("text", "strict", "expected"), OUTPUTS)
def test_a_template_writes_what_text_template_writes(text: str, strict: bool, expected: str
                                                     ) -> None:
    parsed = gotemplate.parse(text)
    assert parsed is not None
    assert gotemplate.execute(parsed, PARAMS, "error" if strict else "invalid") == expected


@pytest.mark.parametrize(("text", "missing", "expected"), [
    ("{{ .nope }}|{{ .nope.x }}", "invalid", "<no value>|<no value>"),
    ("{{ .nope }}|{{ .nope | default \"d\" }}|{{ printf \"%v\" .nope }}", "zero",
     "<no value>|d|<nil>"),
    # the zero of a string map's values is the empty string, of no value
    ("[{{ .strings.nope }}]", "zero", "[]"),
    ("[{{ .strings.nope }}]", "invalid", "[<no value>]"),
])
def test_a_missing_key_is_what_the_missingkey_option_makes_it(text: str, missing: str,
                                                             expected: str) -> None:
    parsed = gotemplate.parse(text)
    assert parsed is not None
    params = {**PARAMS, "strings": gotemplate.StringMap({"a": "b"})}
    assert gotemplate.execute(parsed, params, missing) == expected


def test_a_field_of_a_missing_key_fails_with_missingkey_zero() -> None:
    """With ``missingkey=zero`` a missing key is a nil interface, not no value: a field of it
    fails (text/template ``evalField``: "nil pointer evaluating")."""
    parsed = gotemplate.parse("{{ .nope.x }}")
    assert parsed is not None
    with pytest.raises(gotemplate.ExecError) as caught:
        gotemplate.execute(parsed, PARAMS, "zero")
    assert caught.value.message == "<.nope.x>: nil pointer evaluating interface {}.x"


@pytest.mark.parametrize(("text", "strict", "expected"), ERRORS)
def test_a_template_fails_as_text_template_fails(text: str, strict: bool, expected: str) -> None:
    parsed = gotemplate.parse(text)
    assert parsed is not None
    with pytest.raises(gotemplate.ExecError) as caught:
        gotemplate.execute(parsed, PARAMS, "error" if strict else "invalid")
    assert caught.value.message == expected


@pytest.mark.parametrize("text", REFUSED)
def test_what_is_not_executed_exactly_is_not_read(text: str) -> None:
    parsed = gotemplate.parse(text)
    if parsed is not None:
        with pytest.raises(gotemplate.Unsupported):
            gotemplate.execute(parsed, PARAMS)


PIECES = ["{{ if .on }}", "{{ if false }}", "{{ else }}", "{{ else if .on }}", "{{ end }}",
          "{{ range $i, $x := .tags }}", "{{ with $x := .meta }}", "{{ $x := 1 }}",
          "{{ $x := $x }}", "{{ $x = 2 }}", "{{ $x }}", "{{ $x.a }}", "{{ len $x }}",
          "{{ $x | printf \"%v\" }}", "{{ break }}", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8))
def test_a_template_fails_only_as_go_fails_or_is_not_read(pieces: list[str]) -> None:
    parsed = gotemplate.parse("".join(pieces))
    if parsed is not None:
        try:
            gotemplate.execute(parsed, PARAMS)
        except (gotemplate.ExecError, gotemplate.Unsupported):
            pass


def test_fields_name_the_keys_of_chains_on_the_parameters() -> None:
    parsed = gotemplate.parse("{{ index .path.segments 1 }}-{{ $.a.b | lower }}"
                              "{{ range .l }}{{ .x }}{{ end }}")
    assert parsed is not None
    assert gotemplate.fields(parsed) == {"path.segments", "a.b", "l"}
