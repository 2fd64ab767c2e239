"""The condition language: lexer -> parser -> nodes -> typecheck (to the bundle's JSON AST)."""
