"""Benchmarks of e-PUPNS at national scale (DESIGN.md §5); see benchmarks/README.md."""
