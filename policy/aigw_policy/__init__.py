"""The org's AI Gateway policy: one rule set for the CrossGuard pack (pack.py) and `aigw check`.

Self-contained (no import of the project's `aigw` package) so the pack folder can be published
on its own with `pulumi policy publish`.
"""

from .engine import Context, Finding, Rule, Violation, default_settings, evaluate
from .rules import RULES, RULES_BY_ID
from .values import Resource, Secret, from_plan, from_wire

__all__ = ["RULES", "RULES_BY_ID", "Context", "Finding", "Resource", "Rule", "Secret", "Violation",
           "default_settings", "evaluate", "from_plan", "from_wire"]
