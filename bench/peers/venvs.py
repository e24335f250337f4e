"""Create the peers' virtual environments under bench/out/venvs (each with its own pins).

    python bench/peers/venvs.py            # both
    python bench/peers/venvs.py lifetimes  # one

lifetimes 0.11.3 (2020) breaks with numpy 2, pandas 2 and recent scipy; these pins install from
wheels on Python 3.11 and run its BetaGeoFitter / GammaGammaFitter unchanged. PyMC-Marketing is
recent and brings its own (pymc, pytensor) pins.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
VENVS = BENCH / "out" / "venvs"

PINS: dict[str, list[str]] = {
    "lifetimes": [
        "lifetimes==0.11.3",
        "numpy>=1.24,<2",
        "pandas>=1.5,<2",
        "scipy>=1.10,<1.12",
        "autograd>=1.5,<1.7",
        "dill>=0.3",
        "pyarrow>=12,<17",
    ],
    "pymc_marketing": [
        "pymc-marketing>=0.10",
        "pyarrow>=15",
    ],
}


def python_of(name: str) -> Path:
    """Path of the interpreter inside the peer's virtual environment."""
    return VENVS / name / "bin" / "python"


def ensure(name: str) -> Path:
    """Create the venv ``name`` with its pins if it is not there yet; return its python."""
    py = python_of(name)
    marker = VENVS / name / ".installed"
    if marker.exists():
        return py
    VENVS.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENVS / name)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *PINS[name]], check=True)
    marker.write_text("\n".join(PINS[name]) + "\n")
    return py


if __name__ == "__main__":
    for venv_name in sys.argv[1:] or list(PINS):
        print(venv_name, ensure(venv_name), flush=True)
