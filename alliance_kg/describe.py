"""Everything the graph says about one resource, readable, with the source of each fact."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .formats import curie, labels_for
from .namespaces import AKG, RDF
from .store import select

# ?this is projected because SPARQL substitutions (SEP-0007) only bind projected variables.
_OUT = """
SELECT ?this ?p ?o (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources) WHERE {
  ?this ?p ?o .
  OPTIONAL { ?st rdf:subject ?this ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?src }
} GROUP BY ?this ?p ?o ORDER BY ?p STR(?o)"""

_IN = """
SELECT ?this ?s ?p WHERE { ?s ?p ?this . FILTER(?p NOT IN (rdf:subject, rdf:object)) } ORDER BY ?p ?s"""

_SOURCE_NAMES = """
SELECT ?src ?n ?label WHERE {
  VALUES ?src { %s }
  OPTIONAL { ?src akg:paragraphNumber ?n }
  OPTIONAL { ?src rdfs:label ?label FILTER(lang(?label) = "en" || lang(?label) = "") }
}"""


@dataclass
class Description:
    iri: str
    label: str
    types: list[str] = field(default_factory=list)
    facts: list[tuple[str, str, list[str]]] = field(default_factory=list)  # property, value, sources
    incoming: list[tuple[str, str]] = field(default_factory=list)  # subject, property


def resolve(store: ox.Store, thing: str) -> ox.NamedNode:
    """An IRI, a CURIE or a label to the one resource it names (any type)."""
    from .params import ANY_TYPE, resolve_resource

    return resolve_resource(store, thing, ANY_TYPE, "describe")


def describe(store: ox.Store, thing: str, lang: str = "en") -> Description:
    node = resolve(store, thing)
    subs = {ox.Variable("this"): node}
    rows = list(select(store, _OUT, substitutions=subs))
    incoming = list(select(store, _IN, substitutions=subs))
    iris = {node.value}
    for row in rows:
        iris.add(row["p"].value)
        if isinstance(row["o"], ox.NamedNode):
            iris.add(row["o"].value)
    for row in incoming:
        iris.update({row["s"].value, row["p"].value})
    labels = labels_for(store, iris, lang)
    source_names = _source_names(store, {s for r in rows if r["sources"] for s in r["sources"].value.split()})

    def show(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
        if isinstance(term, ox.NamedNode):
            return labels.get(term.value, curie(term.value))
        if isinstance(term, ox.Literal):
            dt = term.datatype.value if term.datatype else ""
            suffix = f" ({curie(dt)})" if dt and not dt.endswith(("#string", "#langString")) else ""
            tag = f" @{term.language}" if term.language else ""
            return f"{term.value}{tag}{suffix}"
        return f"_:{term.value}"

    result = Description(node.value, labels.get(node.value, curie(node.value)))
    for row in rows:
        p, o = row["p"], row["o"]
        if p.value == RDF + "type":
            result.types.append(show(o))
            continue
        sources = [source_names.get(s, s) for s in row["sources"].value.split()] if row["sources"] else []
        result.facts.append((labels.get(p.value, curie(p.value)), show(o), sources))
    result.incoming = [(show(r["s"]), labels.get(r["p"].value, curie(r["p"].value))) for r in incoming]
    return result


def _source_names(store: ox.Store, sources: set[str]) -> dict[str, str]:
    if not sources:
        return {}
    text = _SOURCE_NAMES % " ".join(f"<{s}>" for s in sorted(sources))
    names: dict[str, str] = {}
    for row in select(store, text):
        src = row["src"].value
        if row["n"] is not None:
            names[src] = f"press release ¶{row['n'].value}"
        elif row["label"] is not None:
            names[src] = f"{row['label'].value} <{src}>"
    return names


def render(description: Description) -> str:
    lines = [description.label, f"  <{description.iri}>"]
    if description.types:
        lines.append(f"  a {', '.join(sorted(description.types))}")
    lines.append("")
    width = max((len(p) for p, _, _ in description.facts), default=0)
    for prop, value, sources in description.facts:
        cited = f"   [{'; '.join(sources)}]" if sources else ""
        lines.append(f"  {prop.ljust(width)}  {value}{cited}")
    if description.incoming:
        lines += ["", "  Referred to by:"]
        for subject, prop in description.incoming:
            lines.append(f"    {subject} — {prop}")
    return "\n".join(lines) + "\n"


__all__ = ["AKG", "Description", "describe", "render"]
