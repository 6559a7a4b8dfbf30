"""Imports from the old spreadsheets: beneficiaries and past sessions, with a dry run, duplicates and undo."""


def register(app) -> None:
    """Add the clean-up of old uploaded files to the tick, and the import pages."""
    from intranet.imports import jobs  # noqa: F401  (registers its periodic step)
    from intranet.imports.services import origins
    from intranet.imports.views import bp

    app.register_blueprint(bp)
    # The beneficiary file says which import created it and its journeys (beneficiaries import nothing of ours).
    app.add_template_global(origins, "import_origins")
