"""Go's text/template over Argo CD's Go parameters, for templates of field chains
(``platecheck.gotemplate``): the errors name the static type Go reports."""

from __future__ import annotations

import pytest

from platecheck.gotemplate import ExecError, StringMap, execute, parse


@pytest.mark.parametrize(("data", "kind"), [
    ({"app": "a"}, "interface {}"),  # a JSON map's value (map[string]interface{})
    ({"app": StringMap({"x": "a"})}, None),
    ({"values": StringMap({"app": "a"})}, "string"),  # a git generator's values
])
def test_a_field_of_a_string_names_its_static_type(data: dict[str, object],
                                                   kind: str | None) -> None:
    chain = "{{.values.app.x}}" if "values" in data else "{{.app.x}}"
    parts = parse(chain)
    assert parts is not None
    if kind is None:
        assert execute(parts, data, missing_key_error=False) == "a"
        return
    with pytest.raises(ExecError) as raised:
        execute(parts, data, missing_key_error=False)
    assert str(raised.value).endswith(f"can't evaluate field x in type {kind}")
