"""Where the project's own files live (vocabularies, shapes, bundled data)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB_DIR = ROOT / "vocab"
SHAPES_DIR = ROOT / "shapes"
CHECKS_DIR = SHAPES_DIR / "checks"
DATA_DIR = ROOT / "data"
SHARED_RAW_DIR = ROOT.parent / "shared" / "data" / "raw"
