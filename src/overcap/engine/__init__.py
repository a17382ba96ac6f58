"""The simulation engine: one module per box of the mechanism (docs/ODD.md sections 3 and 7)."""
