"""The consumer contract: every kind of fact, asked in the vocabularies a linked-data consumer already knows.

A consumer knows schema.org, W3C ORG, PROV-O, SKOS, DCTERMS, OWL-Time and, where those have no fitting
term, Wikidata's direct properties (``wdt:P176`` …) — never the ontology's own ``akg:`` terms. They load
the ontology and the data, compute the OWL 2 RL closure (``alliance-kg query --reasoned``, the server's
``/sparql/reasoned``) and ask.

Each case is a file pair in tests/consumers/: ``<fact-kind>.rq``, a SPARQL query with a header::

    # title: …
    # question: …
    # vocabulary: the outside vocabularies (and their terms) the query uses

and ``<fact-kind>.srj``, the exact expected answer (SPARQL 1.1 JSON results; rows in any order, compared as a
multiset, every term exact: IRI, lexical form, datatype, language). Every case runs twice: as written
(``https://schema.org/``) and with schema.org spelt ``http://schema.org/``, as schema.org's own JSON-LD
context and Wikidata spell it; both must give the same answer. docs/alignment.md says which alignment
technique answers each case.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from alliance_kg import store
from alliance_kg.namespaces import AKG, BASE

CASES_DIR = Path(__file__).resolve().parent / "consumers"
SCHEMA_HTTPS = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
HEADER = ("title", "question", "vocabulary")

#: A term of a result row: ("uri", iri), ("literal", lexical form, datatype, language) or ("bnode",).
Term = tuple[str, ...]
Row = tuple[Term | None, ...]


@dataclass(frozen=True)
class Case:
    name: str
    spelling: str  # "https" or "http": how the query and the answer spell schema.org
    query: str
    expected_vars: tuple[str, ...]
    expected_rows: tuple[Row, ...]


def _header(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        match = re.match(r"#\s*([a-z]+):\s*(.+)", line)
        if match:
            fields.setdefault(match[1], match[2].strip())
        elif line.strip() and not line.startswith("#"):
            break
    return fields


def _json_term(binding: dict[str, str]) -> Term:
    kind = binding["type"]
    if kind == "uri":
        return ("uri", binding["value"])
    if kind in {"literal", "typed-literal"}:
        lang = binding.get("xml:lang", "").lower()
        datatype = RDF_LANG_STRING if lang else binding.get("datatype", XSD_STRING)
        return ("literal", binding["value"], datatype, lang)
    return ("bnode",)


def _oxigraph_term(term: object) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.Literal):
        lang = (term.language or "").lower()
        return ("literal", term.value, RDF_LANG_STRING if lang else term.datatype.value, lang)
    return ("bnode",)


def _respell(text: str, spelling: str) -> str:
    return text if spelling == "https" else text.replace(SCHEMA_HTTPS, SCHEMA_HTTP)


def _load(path: Path, spelling: str) -> Case:
    query = _respell(path.read_text(encoding="utf-8"), spelling)
    results = json.loads(_respell(path.with_suffix(".srj").read_text(encoding="utf-8"), spelling))
    variables = tuple(results["head"]["vars"])
    rows = tuple(
        tuple(_json_term(b[v]) if v in b else None for v in variables) for b in results["results"]["bindings"]
    )
    return Case(path.stem, spelling, query, variables, rows)


def _query_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.rq"))


def _cases() -> Iterator[object]:
    for path in _query_files():
        for spelling in ("https", "http"):
            if spelling == "http" and SCHEMA_HTTPS not in path.read_text(encoding="utf-8"):
                continue
            yield pytest.param(path, spelling, id=f"{path.stem}[{spelling}]")


@pytest.fixture(scope="module")
def closure_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ox.Store]:
    """The OWL 2 RL closure of ontology and data, as ``query --reasoned`` reads it (the reasoning cache kept
    in the session's temporary folder, as conftest does for every test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALLIANCE_KG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        yield store.open_store(reasoned=True)


# --- the collection itself ---------------------------------------------------------------------------------


def test_the_collection_covers_the_fact_kinds() -> None:
    names = {p.stem for p in _query_files()}
    assert len(names) >= 15, sorted(names)
    missing_answers = sorted(n for n in names if not (CASES_DIR / f"{n}.srj").is_file())
    assert not missing_answers, f"cases without an expected answer (.srj): {missing_answers}"
    strays = sorted(p.name for p in CASES_DIR.iterdir() if p.suffix not in {".rq", ".srj"})
    assert not strays, f"unexpected files in {CASES_DIR}: {strays}"
    orphans = sorted(p.stem for p in CASES_DIR.glob("*.srj") if p.stem not in names)
    assert not orphans, f"expected answers without a query: {orphans}"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in _query_files()])
def test_case_is_well_formed_and_asks_in_outside_terms_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = _header(text)
    missing = [f for f in HEADER if not header.get(f)]
    assert not missing, f"{path.name}: header lacks {missing}"
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert AKG not in body and not re.search(r"\bakg:", body), f"{path.name} uses an akg: term"
    assert BASE + "ontology" not in body, f"{path.name} names the ontology's namespace"
    # a consumer may know our instances from the data, but these questions do not need to
    assert BASE not in body, f"{path.name} names an alliance-kg IRI; ask by name instead"
    results = json.loads(path.with_suffix(".srj").read_text(encoding="utf-8"))
    assert results["results"]["bindings"], f"{path.name}: the expected answer is empty"


# --- the contract -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "spelling"), list(_cases()))
def test_consumer_gets_the_exact_answer(path: Path, spelling: str, closure_store: ox.Store) -> None:
    case = _load(path, spelling)
    result = store.run_query(closure_store, case.query)
    variables = tuple(v.value for v in result.variables)
    assert variables == case.expected_vars, f"{case.name}: {variables}, expected {case.expected_vars}"
    actual = Counter(tuple(_oxigraph_term(row[v]) for v in variables) for row in result)
    expected = Counter(case.expected_rows)
    missing = sorted(map(str, expected - actual))
    extra = sorted(map(str, actual - expected))
    assert actual == expected, f"{case.name} [{spelling}]: missing rows {missing}; unexpected rows {extra}"


#: schema.org terms left out of the twin check: the links out (graph/links.ttl) are schema:sameAs on purpose
#: without any semantics, so that the closure gains nothing from them (tests/test_links.py)
WITHOUT_TWIN = ("sameAs",)


def test_both_schema_spellings_reach_the_same_triples(closure_store: ox.Store) -> None:
    """Every schema.org triple of the closure (property or class) has its twin in the other spelling."""
    counts: dict[str, Counter[str]] = {}
    for spelling, ns in (("https", SCHEMA_HTTPS), ("http", SCHEMA_HTTP)):
        query = (
            "SELECT ?term (COUNT(*) AS ?n) WHERE { "
            f"{{ ?s ?term ?o FILTER STRSTARTS(STR(?term), '{ns}') }} UNION "
            f"{{ ?s a ?term FILTER STRSTARTS(STR(?term), '{ns}') }} }} GROUP BY ?term"
        )
        counts[spelling] = Counter(
            {
                row["term"].value.removeprefix(ns): int(row["n"].value)
                for row in store.run_query(closure_store, query)
                if row["term"].value.removeprefix(ns) not in WITHOUT_TWIN
            }
        )
    assert counts["https"].total() > 150, counts["https"]
    assert counts["https"] == counts["http"], (
        f"only https: {counts['https'] - counts['http']}; only http: {counts['http'] - counts['https']}"
    )
