"""Values merging with provenance and helm.parameters, checked against Helm's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck.helmargs import set_path
from platecheck.model import Origin
from platecheck.values import Layer, merge_values
from platecheck.yamlio import load_document, values_from_document


def values(text: str, rel: str) -> Any:
    return values_from_document(load_document(text, rel), Path("/x") / rel, rel)


CHART = values("""\
image:
  repository: web
  tag: "1.0"
ports: [80, 443]
probe:
  path: /healthz
  period: 10
""", "chart/values.yaml")


def test_maps_merge_lists_replace_and_later_files_win() -> None:
    first = values("image:\n  tag: '2.0'\nports: [8080]\n", "a.yaml")
    second = values("extra: 1\nimage:\n  tag: '3.0'\n", "b.yaml")
    merged = merge_values(CHART, [Layer.of(first), Layer.of(second)])
    assert merged.data == {"image": {"repository": "web", "tag": "3.0"}, "ports": [8080],
                           "probe": {"path": "/healthz", "period": 10}, "extra": 1}
    assert merged.origins == {
        ("image",): Origin("b.yaml", 2),
        ("image", "tag"): Origin("b.yaml", 3),
        ("image", "repository"): Origin("chart/values.yaml", 2),
        ("ports",): Origin("a.yaml", 3),
        ("ports", 0): Origin("a.yaml", 3),
        ("probe",): Origin("chart/values.yaml", 5),
        ("probe", "path"): Origin("chart/values.yaml", 6),
        ("probe", "period"): Origin("chart/values.yaml", 7),
        ("extra",): Origin("b.yaml", 1),
    }


def test_null_deletes_a_chart_default_even_when_set_again_as_a_map() -> None:
    # Helm merges user files first (null kept), then coalesces with the chart.
    deleting = values("probe: null\nimage:\n  tag: null\n", "a.yaml")
    merged = merge_values(CHART, [Layer.of(deleting)])
    assert merged.data == {"image": {"repository": "web"}, "ports": [80, 443]}
    assert ("probe",) not in merged.origins and ("image", "tag") not in merged.origins
    again = values("probe:\n  period: 5\n", "b.yaml")
    merged = merge_values(CHART, [Layer.of(deleting), Layer.of(again)])
    assert merged.data["probe"] == {"period": 5, "path": "/healthz"}
    assert merged.origins[("probe", "period")] == Origin("b.yaml", 2)


def test_scalar_replaces_map_and_forgets_its_origins() -> None:
    flat = values("probe: false\n", "a.yaml")
    merged = merge_values(CHART, [Layer.of(flat)])
    assert merged.data["probe"] is False
    assert [k for k in merged.origins if k[0] == "probe"] == [("probe",)]


def test_inline_layer_lines() -> None:
    layer = Layer({"a": {"b": 1}}, "apps/x.yaml", {("a",): 20, ("a", "b"): 21}, 19)
    flat = Layer({"c": 2}, "apps/x.yaml", {}, 30)
    merged = merge_values(None, [layer, flat])
    assert merged.origins == {("a",): Origin("apps/x.yaml", 20),
                              ("a", "b"): Origin("apps/x.yaml", 21),
                              ("c",): Origin("apps/x.yaml", 30)}


@pytest.mark.parametrize(("name", "path"), [
    ("image.tag", ("image", "tag")),
    ("containers[0].image.tag", ("containers", 0, "image", "tag")),
    ("matrix[1][2]", ("matrix", 1, 2)),
    ("images.nginx\\.main.tag", ("images", "nginx.main", "tag")),
    ("a\\[0]", ("a[0]",)), ("a]{b}", ("a]{b}",)),
    ("a[65536]", ("a", 65536)),
    # what only Helm's own parser decides (an error there, or several values): not read
    ("a[65537]", None), ("a[0]b", None), ("a[x]", None), ("a[", None), ("[0]", None),
    ("a.", None), (".a", None), ("a..b", None), ("a,b", None), ("a=b", None), ("a\\", None),
])
def test_a_set_name_is_read_as_helms_parser_reads_it(name: str, path: tuple[object, ...] | None
                                                      ) -> None:
    assert set_path(name) == path
