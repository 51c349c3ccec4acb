"""The Social Progress Index engine: a methodology as data, scoring, diagnostics and progress."""

from .method import Aggregation, Method, MethodError
from .score import Scores, score

__all__ = ["Aggregation", "Method", "MethodError", "Scores", "score"]
