"""yrdmon: plan-target monitoring for the Yangtze River Delta regional plans."""

__version__ = "0.1.0"
