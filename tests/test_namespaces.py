"""The one set of CURIE rules (alliance_kg.namespaces.curie) and the one way to write a VALUES block
(alliance_kg.params.with_values), used by every table, report, page and store test."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance_kg import formats, params, validate, void
from alliance_kg.gate import check
from alliance_kg.namespaces import AKG, ID, PREFIXES, SCHEMA, curie, expand, shorten

VEHICLE = ID + "vehicle/"


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (VEHICLE + "nissan-micra", "vehicle:nissan-micra"),
        (AKG + "VehicleModel", "akg:VehicleModel"),
        # the longest namespace wins: release: is inside source:
        (ID + "source/press-release-2025-09-16/p3", "release:p3"),
        (ID + "source/other", "source:other"),
        (SCHEMA, f"<{SCHEMA}>"),  # no local part
        (SCHEMA + "a.", f"<{SCHEMA}a.>"),  # PN_LOCAL cannot end with "."
        (SCHEMA + "a/b", f"<{SCHEMA}a/b>"),
        (SCHEMA + "a%20b", f"<{SCHEMA}a%20b>"),  # percent escapes are left alone
        (SCHEMA + "-a", f"<{SCHEMA}-a>"),  # nor begin with "-"
        (SCHEMA + "1a", "schema:1a"),  # but may begin with a digit
        ("http://example.org/x", "<http://example.org/x>"),
    ],
)
def test_curie(iri: str, expected: str) -> None:
    assert curie(iri) == expected


def test_every_module_uses_the_same_rules() -> None:
    iri = SCHEMA + "a/b"
    assert formats.curie is curie
    assert params._short(iri) == curie(iri) == validate._short(iri)
    assert void._curie(iri) == iri  # VoID slugs: the IRI itself where there is no CURIE
    assert void._curie(AKG + "Plant") == "akg:Plant"


_LOCAL = st.from_regex(
    r"[A-Za-z0-9_\u00c0-\u00d6\u0370-\u037d][A-Za-z0-9_.:\-\u00b7\u00c0-\u00d6]*", fullmatch=True
)


@given(prefix=st.sampled_from(sorted(PREFIXES)), local=_LOCAL)
def test_shortened_then_expanded_is_the_iri(prefix: str, local: str) -> None:
    iri = PREFIXES[prefix] + local
    name = curie(iri)
    if name.startswith("<"):
        assert local.endswith(".")  # the one thing the strategy makes that PN_LOCAL refuses
        return
    assert expand(name) == iri
    # and the gate, which expands prefixed names on the SPARQL grammar, reads it as the same IRI
    text = check(f"SELECT * WHERE {{ ?s ?p {name} }}", prefixes=PREFIXES).text
    assert f"<{iri}>" in text


@given(local=st.text(min_size=1, max_size=12))
def test_any_iri_is_shortened_to_a_name_that_expands_back_or_kept_whole(local: str) -> None:
    iri = VEHICLE + local
    name = shorten(iri)
    assert name is None or expand(name) == iri


def test_shorten_with_the_query_prefixes() -> None:
    assert shorten(VEHICLE + "x", {"v": VEHICLE, "id": ID}) == "v:x"
    assert shorten(VEHICLE + "x", {"id": ID}) is None  # "vehicle/x" is no plain PN_LOCAL


# --- VALUES ------------------------------------------------------------------------------------------------

BINDING = {
    "m": ox.NamedNode(VEHICLE + "nissan-micra"),
    "y": ox.Literal("2024", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
}


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("SELECT * WHERE { ?m ?p ?y }", "?m ?p ?y"),
        ("ASK { ?m ?p ?y }", "?m ?p ?y"),
        ("CONSTRUCT { ?m ?p ?y } WHERE { ?m ?p ?y . FILTER(?y != '}') }", "FILTER"),
        ("# a comment { with a brace\nSELECT * { <urn:a> ?p '{' }", "'{'"),
        ("SELECT * WHERE { { SELECT ?m { ?m ?p ?y } } }", "SELECT ?m"),
    ],
)
@pytest.mark.parametrize("at", ["start", "end"])
def test_values_go_inside_the_where_clause(text: str, inside: str, at: str) -> None:
    out = params.with_values(text, BINDING, at=at)  # type: ignore[arg-type]
    opening, closing = params.where_clause(out)
    clause = out[opening:closing]
    assert "VALUES (?m ?y)" in clause and inside in clause
    assert check(out).form == check(text).form


def test_trailing_values_and_prefixed_terms() -> None:
    out = params.with_values("ASK { ?m ?p ?y }", BINDING, at="trailing")
    assert out.endswith(
        f'VALUES (?m ?y) {{ (<{VEHICLE}nissan-micra> "2024"^^<http://www.w3.org/2001/XMLSchema#gYear>) }}\n'
    )
    short = params.values_block(BINDING, {"vehicle": VEHICLE, "xsd": "http://www.w3.org/2001/XMLSchema#"})
    assert short == 'VALUES (?m ?y) { (vehicle:nissan-micra "2024"^^xsd:gYear) }'


def test_values_refuse_what_is_not_a_variable_or_a_term() -> None:
    with pytest.raises(ValueError, match="variable"):
        params.values_block({"a b": ox.NamedNode(VEHICLE)})
    with pytest.raises(ValueError, match="no WHERE clause"):
        params.with_values("DESCRIBE <urn:x>", BINDING)
