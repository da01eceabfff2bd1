"""The formats the API server checks in a custom resource, held against the vectors of
kube-openapi's own strfmt tests (``pkg/validation/strfmt/*_test.go``) and Go's rules."""

from __future__ import annotations

import pytest

from platecheck.crd_formats import conforms

ACCEPTED = [
    ("date-time", "2014-12-15T08:00:00.000Z"),
    ("date-time", "2011-08-18T19:03:37.000000000+01:00"),
    ("date-time", "2014-12-15T19:30:20Z"), ("date-time", "0001-01-01T00:00:00Z"),
    ("datetime", "2014-12-15t19:30:20z"), ("date", "2014-12-15"), ("date", "2000-02-29"),
    ("duration", "0ms"), ("duration", "2ms"), ("duration", "three week 3 week"),
    ("duration", "1\u00b5s"), ("duration", "1\u03bcs"), ("duration", "1hr"), ("duration", "1wk"),
    ("duration", "1nanoseconds"), ("duration", "1second"), ("duration", "0"),
    ("duration", "-1.5h"), ("duration", "999999999999h"),
    ("uuid", "a8098c1a-f86e-11da-bd1a-00112444be1e"),
    ("uuid", "A8098C1AF86E11DABD1A00112444BE1E"),
    ("uuid3", "bcd02e22-68f0-3046-a512-327cca9def8f"),
    ("uuid4", "025b0d74-00a2-4048-bf57-227c5111bb34"),
    ("uuid5", "886313e1-3b8a-5372-9b90-0c9aee199e5d"),
    ("byte", "VGhpcyBpcyBh"), ("byte", "YQ=="), ("hexcolor", "#FFFFFF"), ("hexcolor", "000"),
    ("ssn", "111-11-1111"), ("ssn", "999 99 9999"), ("bsonobjectid", "507f1f77bcf86cd799439011"),
    ("password", ""), ("email", "not an email"), ("uri", "::"), ("date-time", 7),
]
REFUSED = [
    ("date-time", "zor"), ("date-time", "zorg"), ("date-time", "zorgTx"),
    ("date-time", "1972-12-31Tx"), ("date-time", "1972-12-31T24:40:00.000Z"),
    ("date-time", "1972-12-31T23:63:00.000Z"), ("date-time", "1972-12-31T23:59:60.000Z"),
    ("date-time", "2014-12-15T08:00:00"), ("date-time", "yesterday"),
    ("date", "2014-2-15"), ("date", "2001-02-29"), ("date", "2014-12-15T08:00:00Z"),
    ("duration", "yada"), ("duration", "12 parsecs"), ("duration", "12 y"),
    ("duration", "45 wekk"), ("duration", "five"), ("duration", ""),
    ("duration", "9999999999999999999999999999999999999999999999999999999 weeks"),
    ("uuid", "not-a-uuid"), ("uuid3", "not-a-uuid"),
    ("uuid4", "bcd02e22-68f0-3046-a512-327cca9def8f"),
    ("uuid5", "025b0d74-00a2-4048-bf57-227c5111bb34"),
    ("byte", ""), ("byte", "not base64!"), ("byte", "YQ"), ("hexcolor", "#fffffffz"),
    ("ssn", "999 99 999"), ("ssn", "999999999"), ("bsonobjectid", "507f1f77bcf86cd79943901"),
]


@pytest.mark.parametrize(("name", "value"), ACCEPTED, ids=[f"{n}={v!r}" for n, v in ACCEPTED])
def test_what_the_api_server_accepts(name: str, value: object) -> None:
    assert conforms(value, name)


@pytest.mark.parametrize(("name", "value"), REFUSED, ids=[f"{n}={v!r}" for n, v in REFUSED])
def test_what_the_api_server_refuses(name: str, value: object) -> None:
    assert not conforms(value, name)
