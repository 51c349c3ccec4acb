"""What the gate found: findings by layer and rule, and the report a failed build prints."""

from __future__ import annotations

from dataclasses import dataclass, field

SHOWN = 10


@dataclass
class Finding:
    layer: str
    rule: str
    message: str
    focus: list[str]
    count: int

    def render(self) -> str:
        lines = [f"  [{self.layer}] {self.rule}: {self.message} ({self.count:,} found)"]
        lines += [f"      {item}" for item in self.focus[:SHOWN]]
        if self.count > len(self.focus[:SHOWN]):
            lines.append(f"      ... and {self.count - len(self.focus[:SHOWN]):,} more")
        return "\n".join(lines)


@dataclass
class Report:
    dataset: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def extend(self, layer: str, rules: list[str], findings: list[Finding]) -> None:
        self.checked += [f"{layer}: {rule}" for rule in rules]
        self.findings += findings

    def render(self) -> str:
        if self.ok:
            return f"{self.dataset}: valid ({len(self.checked)} checks passed)"
        rules = sorted({f.rule for f in self.findings})
        head = f"{self.dataset}: INVALID, {len(self.findings)} finding(s) on rules {', '.join(rules)}"
        return "\n".join([head, *(f.render() for f in self.findings)])
