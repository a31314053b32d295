"""OrderCycle: order management for small manufacturing and retail firms."""

__version__ = "0.1.0"
