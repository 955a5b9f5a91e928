"""`relais generate`: a synthetic, reproducible population at national size (docs/bench.md)."""
