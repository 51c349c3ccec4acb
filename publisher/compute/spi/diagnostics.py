"""Whether a component's indicators belong together: Cronbach's alpha, KMO and the first principal
component (methods.md §1.4; OECD/JRC Handbook step 4). Computed on complete cases only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA_THRESHOLD = 0.7
KMO_THRESHOLD = 0.5


@dataclass(frozen=True)
class ComponentDiagnostics:
    component: str
    indicators: tuple[str, ...]
    units: int  # complete cases used
    alpha: float | None  # None with one indicator
    kmo: float | None
    pc1_share: float | None
    pca_weights: tuple[float, ...] | None

    def warnings(self) -> list[str]:
        found = []
        if self.alpha is not None and self.alpha < ALPHA_THRESHOLD:
            found.append(f"alpha {self.alpha:.3f} < {ALPHA_THRESHOLD}")
        if self.kmo is not None and round(self.kmo, 9) < KMO_THRESHOLD:  # two indicators: exactly 0.5
            found.append(f"KMO {self.kmo:.3f} < {KMO_THRESHOLD}")
        if self.pca_weights is not None and min(self.pca_weights) < 0:
            found.append("an indicator loads negatively on the first principal component")
        return found


def cronbach_alpha(items: np.ndarray) -> float:
    """α = k/(k−1) · (1 − Σ var(item) / var(Σ items)), sample variances (rows = units)."""
    k = items.shape[1]
    item_variance = items.var(axis=0, ddof=1).sum()
    total_variance = items.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - item_variance / total_variance))


def kmo(items: np.ndarray) -> float:
    """Kaiser-Meyer-Olkin: Σ r² / (Σ r² + Σ partial r²) over the off-diagonal pairs."""
    correlation = np.corrcoef(items, rowvar=False)
    precision = np.linalg.pinv(correlation)
    scale = np.sqrt(np.outer(np.diag(precision), np.diag(precision)))
    partial = -precision / scale
    off = ~np.eye(len(correlation), dtype=bool)
    r2, a2 = (correlation[off] ** 2).sum(), (partial[off] ** 2).sum()
    return float(r2 / (r2 + a2))


def first_component(items: np.ndarray) -> tuple[float, np.ndarray]:
    """Share of variance of the first principal component of the correlation matrix, and its
    loadings signed so that they sum to a positive number."""
    correlation = np.corrcoef(items, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    loadings = eigenvectors[:, -1]
    if loadings.sum() < 0:
        loadings = -loadings
    return float(eigenvalues[-1] / eigenvalues.sum()), loadings


def pca_weights(items: np.ndarray) -> np.ndarray:
    """Weights from the first principal component: the loadings divided by their sum (methods.md §1.4 B)."""
    _, loadings = first_component(items)
    return loadings / loadings.sum()


def diagnose(component: str, names: list[str], items: np.ndarray) -> ComponentDiagnostics:
    """Diagnostics of one component from its indicator scores (rows = units; NaN rows dropped)."""
    complete = items[~np.isnan(items).any(axis=1)]
    if len(names) < 2 or len(complete) <= len(names):
        return ComponentDiagnostics(component, tuple(names), len(complete), None, None, None, None)
    constant = complete.std(axis=0) == 0
    if constant.any():
        return ComponentDiagnostics(component, tuple(names), len(complete), None, None, None, None)
    share, loadings = first_component(complete)
    contrast = loadings.sum() < 1e-9  # the first component opposes the indicators: no PCA weights
    return ComponentDiagnostics(
        component,
        tuple(names),
        len(complete),
        cronbach_alpha(complete),
        kmo(complete),
        share,
        None if contrast else tuple(float(w) for w in pca_weights(complete)),
    )
