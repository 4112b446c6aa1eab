"""Streaming windows for serving: a tenant's raw lines, request by request, into windows, with a JSON state."""

from logad.streaming.lines import LineProblem, parse_lines
from logad.streaming.windower import StreamConfig, StreamWindower

__all__ = ["LineProblem", "StreamConfig", "StreamWindower", "parse_lines"]
