"""The privacy policy's promises (shared/promises.md) and which of them the product keeps so far.

Every promise gets at least one test marked ``@pytest.mark.promise("Pn")``. ``KEPT`` lists the
promises whose behaviour is built; a promise joins it with the work that builds it, and from
then on a test fails if no test proves it.
"""

PROMISES = {
    "P1": "personal information is used only to improve the site and provide the services",
    "P2": "account, profile and payment data identify or contact you",
    "P3": "additional, non-identifying profile data: timezone, language, expertise",
    "P4": "interactions on the platform are collected: pages viewed, posts liked",
    "P5": "browser data: IP, browser type, pages, time and date of visit, time spent",
    "P6": "cookies collect data; the user can refuse or limit them",
    "P7": "without cookies certain sections may not be visible",
    "P8": "logging in with Twitter, Google, etc. sends us your email and profile",
    "P9": "what the provider sends depends on your settings there",
    "P10": "we send emails and other notifications",
    "P11": "data may be shared if law or legal process requires it",
    "P12": "data may be used to develop, maintain or improve the services",
    "P13": "we answer queries about your account for billing and administration",
    "P14": "testimonials are displayed only after receiving permission",
    "P15": "we prevent security issues and investigate breaches",
    "P16": "targeted promotional and marketing messages",
    "P17": "data analytics",
    "P18": "some data may go to service providers or advertising partners",
    "P19": "access is secure; personal information is locked by strong passwords",
    "P20": "data may be stored and used in the countries we operate in",
    "P21": "users can update their profile information",
    "P22": "users can delete their profile information",
    "P23": "on account deletion all personal data is removed after the period the law mandates",
    "P24": "deletion may be refused while payments, disputes or jobs are pending",
    "P25": "the policy may be updated and users should review it",
    "P26": "contact the support team with questions about the policy",
}

KEPT = frozenset(
    {
        "P1",  # every optional use of personal data waits for its purpose's consent
        "P2",  # registry-driven field visibility (foundation)
        "P3",  # timezone, language, expertise on profiles
        "P4",  # interaction records: views (with ANALYTICS consent) and likes
        "P5",  # browser data: truncated IP, parsed browser family, pages, time spent
        "P6",  # cookie categories refused or granted in the consent ledger, visitors too
        "P7",  # features say which consent they need and refuse without it
        "P10",  # transactional email through the outbox
        "P12",  # staff analytics from counts that name nobody
        "P13",  # staff billing lookups, each audited
        "P14",  # testimonials displayed only with their author's permission
        "P17",  # analytics events only with ANALYTICS consent, pruned after retention
        "P16",  # marketing mail only with consent, one-click unsubscribe
        "P18",  # processors listed; advertising partners only with consent, GPC honoured
        "P19",  # strong passwords, argon2id, sessions, throttling
        "P21",  # profile editing
        "P22",  # clearing profile fields, closing a mentor profile, account deletion
        "P11",  # legal holds; legal disclosures of the requested categories, once, audited
        "P23",  # deactivation at once, erasure after the grace period, proven by a scan
        "P24",  # deletion refused with structured blockers
    }
)
