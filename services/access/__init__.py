"""Who may see what, in one place: the viewer, the personal-data registry with each model's row
and field rules, the relationships that open audiences, and the one evaluator that applies them.

Every read path (root queries, ``node(id)``, nested fields, loaders, the services' own reads)
asks ``Access`` rather than deciding for itself.
"""
