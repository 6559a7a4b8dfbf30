"""Beneficiary files: consent, ESF+ data, duplicates, search."""


def register(app) -> None:
    """Plug the feature's demo data in (its pages are registered with the others)."""
    from intranet.beneficiaries import demo  # noqa: F401  (registers its demo loader)
