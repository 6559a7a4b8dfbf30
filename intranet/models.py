"""Every model, found from the feature list, so the mapper and Alembic know the whole schema.

No feature is named here: a feature's models are the `models` modules of its package (subpackages
included), imported for each package of `intranet.FEATURES`. Only the infrastructure's own tables are
listed, in `INFRASTRUCTURE`.
"""

import importlib
import pkgutil

INFRASTRUCTURE = ("intranet.ticks",)  # the periodic runs of the tick


def import_all() -> list[str]:
    """Import the infrastructure's and every feature's models modules; return their names."""
    from intranet import FEATURES

    names = list(INFRASTRUCTURE)
    for feature in FEATURES:
        package = importlib.import_module(feature)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, f"{feature}.", onerror=_fail)
                  if info.name.rpartition(".")[2] == "models"]
    for name in names:
        importlib.import_module(name)
    return names


def _fail(name: str) -> None:
    raise  # a subpackage that cannot be imported would hide its models: its ImportError is not ignored
