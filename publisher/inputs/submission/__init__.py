"""Submissions: councils' and charities' own indicators in the localindex input format
(vocab/input-format/), checked, stripped of personal data, suppressed and published."""
