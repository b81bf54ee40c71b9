"""Third-party login through social-auth-core (P8, P9): the library's strategy and storage
on our models (``integration``), the provider backends (``providers``) and the account rules
(``accounts``)."""
