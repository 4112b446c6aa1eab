"""`logad bench`: named scenarios that print a table and write JSON (and Markdown) results."""

from logad.bench.scenario_table import BenchResult, available_scenarios, get_scenario, register_scenario

__all__ = ["BenchResult", "available_scenarios", "get_scenario", "register_scenario"]
