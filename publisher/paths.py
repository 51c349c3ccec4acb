"""Where the project's own files live (vocabularies, shapes, bundled data, SPARQL queries)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB_DIR = ROOT / "vocab"
SHAPES_DIR = ROOT / "shapes"
CHECKS_DIR = SHAPES_DIR / "checks"
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "publisher" / "queries"
SHARED_RAW_DIR = ROOT.parent / "shared" / "data" / "raw"
