"""The simulation engine: one module per box of MODEL.md."""
