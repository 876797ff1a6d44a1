"""The complaint pages, one module per area."""
