"""The GraphQL layer, one package per domain. Thin: parse input, call the domain, shape output."""
