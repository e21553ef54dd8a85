"""Early-warning rules (rules.md): tables in, leads out."""
