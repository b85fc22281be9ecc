"""HTTP routes: one module per audience (intake for clients, admin for operators)."""
