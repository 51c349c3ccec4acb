"""The validation gate (DESIGN.md §5): nothing is published unless every layer passes.

- tabular rules on the tidy table (table.py);
- the release's own RDF, read once and linearly (observations.py), with its structure, metadata
  and a sample checked by SPARQL and SHACL (rdf.py);
- its CSVW read by position against that RDF (csvw_match.py);
- a release directory as published, every layer (release_dir.py: `localindex validate`).
"""

from .rdf import RdfCheck, check_release_rdf
from .report import Finding, Report
from .shacl import SH, check_shacl, generic_shapes, sample_points
from .sparql_checks import constants, run_checks
from .table import TABLE_RULES, check_table

__all__ = [
    "SH",
    "TABLE_RULES",
    "Finding",
    "RdfCheck",
    "Report",
    "check_release_rdf",
    "check_shacl",
    "check_table",
    "constants",
    "generic_shapes",
    "run_checks",
    "sample_points",
]
