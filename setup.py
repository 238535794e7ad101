"""Maps the three source folders onto one `simpletuner` import root (see STYLE.md, "Layout we chose")."""

from setuptools import find_packages, setup

PACKAGE_ROOTS = {
    "simpletuner.services": "services",
    "simpletuner.libs": "libs",
    "simpletuner.api": "protos/simpletuner/api",
}


def all_packages() -> list[str]:
    """Every package below each root, named under its import prefix."""
    packages = []
    for prefix, folder in PACKAGE_ROOTS.items():
        packages.append(prefix)
        packages += [f"{prefix}.{name}" for name in find_packages(folder)]
    return packages


setup(packages=all_packages(), package_dir=PACKAGE_ROOTS)
