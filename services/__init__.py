"""Domain services: the logic that is neither storage nor GraphQL.

Resolvers and background workers call these, so a mutation and a worker share one path.
"""
